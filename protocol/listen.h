// Opening a listening TCP socket, shared by the server and the metrics endpoint.
#pragma once

#include <cstdint>
#include <string>

#include "crm/engine/status.h"
#include "crm/protocol/asio.h"

namespace crm::protocol {

// Opens `acceptor` on `address`:`port` (port 0: any free port), with
// SO_REUSEADDR, listening. InvalidArgument when `address` is not an IP
// address ("<label> address ... is not an IP address"), Unavailable when it
// cannot listen there ("cannot listen on ADDRESS:PORT<purpose>: ..."); the
// acceptor is then left for the caller to close or drop.
inline engine::Status OpenListener(asio::ip::tcp::acceptor& acceptor, const std::string& address,
                                   uint16_t port, const std::string& label,
                                   const std::string& purpose) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) {
    return engine::Status::InvalidArgument(label + " address \"" + address +
                                           "\" is not an IP address: " + ec.message());
  }
  asio::ip::tcp::endpoint endpoint(ip, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return engine::Status::Unavailable("cannot listen on " + address + ":" +
                                       std::to_string(port) + purpose + ": " + ec.message());
  }
  return engine::Status::Ok();
}

}  // namespace crm::protocol
