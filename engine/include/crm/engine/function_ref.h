// crm::FunctionRef: a non-owning reference to a callable, the argument type
// of visitors (Engine::VisitCard) so that passing a lambda costs no
// allocation and no type erasure on the heap.
//
// Contract: a FunctionRef refers to the callable it was made from and does
// not extend its lifetime; it is valid only while that callable lives. Take
// it by value as a parameter and call it during the call that received it;
// never store it. Copying it copies the reference, not the callable.
#pragma once

#include <type_traits>
#include <utility>

namespace crm {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  // Refers to `f`, which must outlive every call through this reference.
  template <typename F>
  FunctionRef(F&& f)  // NOLINT: implicit by design
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

namespace engine {
using crm::FunctionRef;
}  // namespace engine

}  // namespace crm
