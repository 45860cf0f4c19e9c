#include "crm/protocol/metrics_http.h"

#include <memory>
#include <string_view>
#include <thread>

#include "crm/protocol/asio.h"
#include "crm/protocol/server.h"
#include "listen.h"

namespace crm::protocol {

using asio::ip::tcp;

// g++ 12 at -O1 reports Asio's coroutine frames (allocated and freed by
// Asio's own recycling allocator, as a matched pair) as mismatched
// new/delete: a false positive, silenced for the coroutines below only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

class MetricsServer::Impl {
 public:
  Impl(std::function<std::string()> render, MetricsOptions options)
      : render_(std::move(render)), options_(std::move(options)) {}

  engine::Result<uint16_t> Start() {
    if (engine::Status s = OpenListener(acceptor_, options_.listen_address, options_.port,
                                        "metrics", " for metrics");
        !s.ok()) {
      return s;
    }
    const uint16_t port = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
    LogLine("crm metrics: serving http://" + options_.listen_address + ":" +
            std::to_string(port) + "/metrics");
    return port;
  }

  void Stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      io_.stop();
    });
    thread_.join();
  }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!acceptor_.is_open()) co_return;
        continue;
      }
      if (active_ >= options_.max_connections) {
        socket.close(ec);
        continue;
      }
      ++active_;
      asio::co_spawn(io_, Serve(std::make_shared<tcp::socket>(std::move(socket))),
                     asio::detached);
    }
  }

  // Reads one request head, answers it, closes.
  asio::awaitable<void> Serve(std::shared_ptr<tcp::socket> socket) {
    asio::steady_timer deadline(io_, options_.timeout);
    deadline.async_wait([socket](const boost::system::error_code& ec) {
      if (!ec) {
        boost::system::error_code ignored;
        socket->close(ignored);
      }
    });
    std::string head;
    std::string status = "400 Bad Request";
    std::string body = "bad request\n";
    bool send_body = true;
    try {
      char chunk[1024];
      while (head.find("\r\n\r\n") == std::string::npos) {
        if (head.size() > options_.max_request_bytes) break;
        size_t n = co_await socket->async_read_some(asio::buffer(chunk), asio::use_awaitable);
        head.append(chunk, n);
      }
      const size_t end = head.find("\r\n\r\n");
      if (end == std::string::npos || end > options_.max_request_bytes) {
        status = "431 Request Header Fields Too Large";
        body = "request head too large\n";
      } else {
        std::string_view line(head.data(), head.find("\r\n"));
        const size_t sp1 = line.find(' ');
        const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
        if (sp2 != std::string_view::npos && line.substr(sp2 + 1).starts_with("HTTP/1.")) {
          std::string_view method = line.substr(0, sp1);
          std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
          if (const size_t q = target.find('?'); q != std::string_view::npos) {
            target = target.substr(0, q);
          }
          if (method != "GET" && method != "HEAD") {
            status = "405 Method Not Allowed";
            body = "only GET /metrics\n";
          } else if (target != "/metrics") {
            status = "404 Not Found";
            body = "only /metrics is served here\n";
          } else {
            status = "200 OK";
            body = render_();
          }
          send_body = method != "HEAD";
        }
      }
      std::string response = "HTTP/1.1 " + status +
                              "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8"
                              "\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
      if (send_body) response += body;
      co_await asio::async_write(*socket, asio::buffer(response), asio::use_awaitable);
      boost::system::error_code ec;
      socket->shutdown(tcp::socket::shutdown_send, ec);
    } catch (const boost::system::system_error&) {
      // The peer went away or the deadline closed the socket.
    }
    deadline.cancel();
    boost::system::error_code ec;
    socket->close(ec);
    --active_;
  }

  std::function<std::string()> render_;
  MetricsOptions options_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
  size_t active_ = 0;  // on the io thread only
};

#pragma GCC diagnostic pop

MetricsServer::MetricsServer(std::function<std::string()> render, MetricsOptions options)
    : impl_(std::make_unique<Impl>(std::move(render), std::move(options))) {}
MetricsServer::~MetricsServer() { Stop(); }
engine::Result<uint16_t> MetricsServer::Start() { return impl_->Start(); }
void MetricsServer::Stop() { impl_->Stop(); }

}  // namespace crm::protocol
