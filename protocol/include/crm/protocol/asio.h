// The one place crm includes Boost.Asio. Include this, never <boost/asio...>.
//
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including
// <utility>; g++ 12 in C++20 mode then fails to compile it. <utility> first.
// Boost 1.74 also looks for C++20 coroutines under clang only as the
// coroutines TS (<experimental/coroutine>); clang 14 has the standard ones,
// so they are declared here.
#pragma once

// clang-format off
#include <utility>  // must precede every Asio header (see above)

#if defined(__clang__) && !defined(BOOST_ASIO_HAS_CO_AWAIT) && \
    defined(__cpp_impl_coroutine) && __has_include(<coroutine>)
#define BOOST_ASIO_HAS_CO_AWAIT 1
#endif

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
