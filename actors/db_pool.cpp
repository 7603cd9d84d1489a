#include "actors/db_pool.hpp"

#include "actors/db_pool_impl.hpp"

namespace gp {

db_pool_actor spawn_db_pool(caf::actor_system& sys, const persistence::db_options& opts,
                            size_t size) {
  return db_pool_detail::spawn(sys, db::pool_operations{}, opts, size);
}

}  // namespace gp
