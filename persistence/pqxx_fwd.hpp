#pragma once
// Forward declaration of libpqxx 6.4's connection type, so headers need not include <pqxx/pqxx>.
// In 6.4 `pqxx::connection` is an alias of a class template; this mirrors it exactly.
namespace pqxx {
class connect_direct;
template <typename CONNECTPOLICY>
class basic_connection_base;
using connection = basic_connection_base<connect_direct>;
class transaction_base;

}  // namespace pqxx
