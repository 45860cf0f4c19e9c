#include "crmctl_client.h"

namespace crm::tools {

namespace {

using client::Client;

std::unique_ptr<Client> ConnectRemote(const std::string& address, const std::string& token,
                                      std::optional<std::chrono::milliseconds> request_timeout) {
  client::RemoteOptions remote;
  remote.host = address;
  remote.port = kCrmdPort;
  if (auto colon = address.rfind(':'); colon != std::string::npos) {
    remote.host = address.substr(0, colon);
    remote.port = static_cast<uint16_t>(ParseWholeNumber("server", address.substr(colon + 1)));
  }
  remote.token = token;
  if (request_timeout) remote.request_timeout = *request_timeout;
  auto client = Client::Connect(remote);
  if (!client.ok()) Fail("cannot talk to crmd at " + address + ": " + client.status().ToString());
  return std::move(client).value();
}

}  // namespace

std::unique_ptr<Client> OpenClient(const CommandArgs& args, const std::string& data_dir,
                                   std::optional<std::chrono::milliseconds> request_timeout) {
  if (args.Has("server")) {
    return ConnectRemote(args.Get("server"), ReadToken(args, data_dir), request_timeout);
  }
  client::EmbeddedOptions embedded;
  embedded.engine.data_dir = data_dir;
  embedded.local_admin = true;
  if (request_timeout) embedded.request_timeout = *request_timeout;
  auto client = Client::OpenEmbedded(embedded);
  if (client.ok()) return std::move(client).value();
  if (client.status().code() == engine::Code::kInUse) {
    return ConnectRemote("127.0.0.1:" + std::to_string(kCrmdPort), ReadToken(args, data_dir),
                         request_timeout);
  }
  Fail("cannot open " + data_dir + ": " + client.status().ToString());
}

}  // namespace crm::tools
