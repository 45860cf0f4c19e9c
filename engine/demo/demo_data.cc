// LoadDemoData, the public entry of the demo-data generator; the generator
// itself is the Loader (loader.h).
#include "crm/engine/demo_data.h"

#include "loader.h"

namespace crm::engine {

Result<DemoSummary> LoadDemoData(Engine& engine, const DemoOptions& options,
                                 const DemoProgress& progress) {
  demo_internal::Loader loader(engine, options, progress);
  return loader.Run();
}

}  // namespace crm::engine
