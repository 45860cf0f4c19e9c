// The crmd binary end to end: started as its own process on an ephemeral
// port, it writes an owner-only admin token, serves the client library,
// refuses a wrong token, shuts down cleanly on SIGTERM, and after a restart
// still has every acknowledged write (and the same admin token).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "crm/client/client.h"
#include "engine/test_util.h"

namespace crm::client {
namespace {

using engine::CardKey;
using engine::Code;

// A crmd child process with its stderr captured.
class Crmd {
 public:
  explicit Crmd(const std::string& data_dir) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDERR_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(CRM_CRMD_BINARY, CRM_CRMD_BINARY, "--data", data_dir.c_str(), "--port", "0",
            "--threads", "2", nullptr);
      _exit(127);
    }
    close(fds[1]);
    err_ = fds[0];
  }
  ~Crmd() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (err_ >= 0) close(err_);
  }

  // Reads the log until `needle` appears or `timeout` passes.
  bool WaitForLog(const std::string& needle, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (log_.find(needle) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) return false;
      pollfd p{err_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char buf[4096];
      ssize_t n = read(err_, buf, sizeof(buf));
      if (n <= 0) return log_.find(needle) != std::string::npos;
      log_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  // The port from "listening on 127.0.0.1:PORT".
  uint16_t Port() const {
    const std::string marker = "listening on 127.0.0.1:";
    size_t at = log_.find(marker);
    return at == std::string::npos
               ? 0
               : static_cast<uint16_t>(std::stoi(log_.substr(at + marker.size())));
  }

  // SIGTERM, then the exit status (-1 if it did not exit within the timeout).
  int Terminate(std::chrono::seconds timeout) {
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        WaitForLog("closed", std::chrono::seconds(1));
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      usleep(10'000);
    }
    return -1;
  }

  const std::string& log() const { return log_; }

 private:
  pid_t pid_ = -1;
  int err_ = -1;
  std::string log_;
};

std::string ReadToken(const std::string& dir) {
  std::string token;
  std::getline(std::ifstream(dir + "/admin.token"), token);
  return token;
}

Result<std::unique_ptr<Client>> ConnectTo(uint16_t port, const std::string& token) {
  RemoteOptions options;
  options.port = port;
  options.token = token;
  return Client::Connect(options);
}

TEST(CrmdProcessTest, ServesStopsOnSigtermAndKeepsWrites) {
  crm::testing::TempDir dir;
  engine::Id created = 0;
  std::string first_token;
  for (int round = 0; round < 2; ++round) {
    Crmd crmd(dir.path());
    ASSERT_TRUE(crmd.WaitForLog("listening on", std::chrono::seconds(60))) << crmd.log();
    ASSERT_NE(crmd.Port(), 0) << crmd.log();
    std::string token = ReadToken(dir.path());
    ASSERT_FALSE(token.empty());
    struct stat st;
    ASSERT_EQ(stat((dir.path() + "/admin.token").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "the admin token must be owner-only";
    if (round == 0) {
      first_token = token;
    } else {
      EXPECT_EQ(token, first_token) << "a valid admin token is kept across restarts";
      EXPECT_EQ(crmd.log().find("created admin"), std::string::npos) << crmd.log();
    }

    auto refused = ConnectTo(crmd.Port(), "crm_not_a_token");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);

    auto client = ConnectTo(crmd.Port(), token);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    if (round == 0) {
      engine::Customer c;
      c.kind = engine::CustomerKind::kOrganization;
      c.name = "进程测试有限公司";
      c.phones = {"021 6123 4567"};
      auto id = (*client)->Create(c);
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      created = *id;
    }
    auto card = (*client)->Card(CardKey::ByPhone("+862161234567"));
    ASSERT_TRUE(card.ok()) << card.status().ToString();
    EXPECT_EQ(card->customer.id, created);
    EXPECT_EQ(card->customer.name, "进程测试有限公司");
    client->reset();

    EXPECT_EQ(crmd.Terminate(std::chrono::seconds(60)), 0) << crmd.log();
    EXPECT_NE(crmd.log().find("closed"), std::string::npos) << crmd.log();
  }
}

}  // namespace
}  // namespace crm::client
