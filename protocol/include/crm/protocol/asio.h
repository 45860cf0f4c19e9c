// The one place crm includes Boost.Asio. Include this, never <boost/asio...>.
//
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including
// <utility>; g++ 12 in C++20 mode then fails to compile it. <utility> first.
#pragma once

// clang-format off
#include <utility>  // must precede every Asio header (see above)

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
// clang-format on

namespace crm::protocol {
namespace asio = boost::asio;
}  // namespace crm::protocol
