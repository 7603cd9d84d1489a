#include "persistence/outputs.hpp"

#include <pqxx/pqxx>

#include "persistence/requests.hpp"

namespace gp::persistence {

namespace sql {

constexpr const char* find_outputs = R"sql(
SELECT request_id, client_id, request_type, status, coalesce(outputs::text, 'null')
FROM platform.requests WHERE request_id = $1)sql";

}  // namespace sql

std::optional<request_outputs_row> find_request_outputs(pqxx::connection& c,
                                                        const std::string& request_id) {
  pqxx::nontransaction tx{c};
  auto r = tx.exec_params(sql::find_outputs, request_id);
  if (r.empty())
    return std::nullopt;
  request_outputs_row row;
  row.request_id = r[0][0].as<std::string>();
  row.client_id = r[0][1].as<std::string>();
  row.request_type = r[0][2].as<std::string>();
  row.status = request_status_of(r[0][3].as<std::string>());
  row.outputs_json = r[0][4].as<std::string>();
  return row;
}

}  // namespace gp::persistence
