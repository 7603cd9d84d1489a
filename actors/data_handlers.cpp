// The /platform/data routes of the http_edge actor: a completed request's outputs (stored with
// its row, see migration 0006) served from the silver storage. The row is read once through the
// pool and kept while the request stays completed; file bodies are streamed by the server.
#include "actors/data_handlers.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "actors/db_pool.hpp"
#include "actors/edge_handlers.hpp"
#include "io/http/file_response.hpp"
#include "io/http/open_file.hpp"
#include "io/http/paging.hpp"
#include "io/http/problem.hpp"
#include "io/http/router.hpp"
#include "io/logging.hpp"
#include "messages/atoms.hpp"
#include "persistence/outputs.hpp"

namespace gp {

namespace {

using json = nlohmann::json;
using io::http::problem;
using served_outputs = http_edge_state::served_outputs;

/// Which part of a request's outputs a call asks for.
enum class data_item { download, file, mosaic };

/// A MosaicJSON larger than this is refused rather than read into memory.
constexpr uint64_t mosaic_limit = 16 << 20;

io::http::response no_request(const std::string& id) {
  return problem(404, "not_found", "no request " + id);
}

/// Whether `dir` lies inside `root` (lexically; both absolute).
bool inside(const std::string& root, const std::string& dir) {
  if (root.empty())
    return true;
  auto d = std::filesystem::path{dir}.lexically_normal().string();
  return d.size() > root.size() && d.compare(0, root.size(), root) == 0 && d[root.size()] == '/';
}

/// `attachment; filename="…"` for names that need no quoting, else nothing.
std::optional<std::string> disposition(const std::string& name) {
  for (char ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-')
      return std::nullopt;
  return "attachment; filename=\"" + name + "\"";
}

/// Opens `dir/name` and answers it (a missing file is a 404, anything else a 500).
io::http::response send_file(const http_call& call, const std::string& id, const std::string& dir,
                             const std::string& name, const std::string& media_type,
                             io::http::header_list extra) {
  io::http::open_file::failure why;
  std::string detail;
  auto f = io::http::open_file::open(dir + "/" + name, why, detail);
  if (!f) {
    if (why == io::http::open_file::failure::not_found) {
      GP_LOG_WARN("http_edge: output {} of request {} is missing: {} cid={}", name, id, detail,
                  call.req.correlation_id);
      return problem(404, "not_found", "the file " + io::http::encode_segment(name) +
                                         " of request " + id + " is no longer stored");
    }
    GP_LOG_ERROR("http_edge: cannot open output {}/{} of request {}: {} cid={}", dir, name, id,
                 detail, call.req.correlation_id);
    return problem(500, "internal", "an internal error occurred");
  }
  return io::http::file_response(call.req, std::move(f), media_type, std::move(extra));
}

/// The MosaicJSON of a collection with every file name turned into its absolute URL. Reads and
/// rewrites up to mosaic_limit bytes: run on a thread of its own, never on the edge.
io::http::response send_mosaic(const http_call& call, const std::string& id,
                               const std::string& dir, const std::string& base_url) {
  auto fail = [&](const std::string& why) {
    GP_LOG_ERROR("http_edge: mosaic of request {} not served: {} cid={}", id, why,
                 call.req.correlation_id);
    return problem(500, "internal", "an internal error occurred");
  };
  io::http::open_file::failure failed;
  std::string detail;
  auto f = io::http::open_file::open(dir + "/mosaic.json", failed, detail);
  if (!f) {
    if (failed == io::http::open_file::failure::not_found)
      return problem(404, "not_found", "the mosaic of request " + id + " is no longer stored");
    return fail(detail);
  }
  if (f->size() > mosaic_limit)
    return fail("mosaic.json has " + std::to_string(f->size()) + " bytes");
  std::string text(f->size(), '\0');
  size_t got = 0;
  while (got < text.size()) {
    auto n = ::pread(f->fd(), text.data() + got, text.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return fail("mosaic.json could not be read");
    got += static_cast<size_t>(n);
  }
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return fail("mosaic.json is not JSON");
  auto files_url = base_url + "/platform/data/" + id + "/files/";
  if (auto why = io::http::mosaic_with_urls(doc, files_url))
    return fail(*why);
  auto r = io::http::json_response(200, doc);
  r.headers.emplace_back("Cache-Control", "private, no-cache");
  return r;
}

/// Answers a call from a completed request's outputs.
void answer(edge_self* self, http_call& call, const std::string& id, const served_outputs& s,
            data_item what, const std::string& raw_name) {
  const auto& out = s.outputs;
  switch (what) {
    case data_item::download: {
      if (out.download.empty())
        return call.reply(problem(404, "not_found", "request " + id + " has no download"));
      io::http::header_list extra;
      if (auto d = disposition(out.download))
        extra.emplace_back("Content-Disposition", *d);
      return call.reply(send_file(call, id, out.dir, out.download,
                                  io::http::download_media_type(s.request_type),
                                  std::move(extra)));
    }
    case data_item::file: {
      // Only a plain name listed in the outputs: no path, no dot files, nothing else on disk.
      auto name = io::http::decode_segment(raw_name);
      bool listed = name && io::http::is_plain_file_name(*name) &&
                    std::find(out.files.begin(), out.files.end(), *name) != out.files.end();
      if (!listed)
        return call.reply(problem(404, "not_found",
                                  "request " + id + " has no file " +
                                    io::http::encode_segment(name ? *name : raw_name)));
      return call.reply(
        send_file(call, id, out.dir, *name, io::http::file_media_type(*name), {}));
    }
    case data_item::mosaic:
      if (!out.mosaic)
        return call.reply(problem(404, "not_found", "request " + id + " has no mosaic"));
      self->system().spawn([call, id, dir = out.dir,
                            base = self->state.opts.public_base_url](caf::blocking_actor*) {
        call.reply(send_mosaic(call, id, dir, base));
      });
      return;
  }
}

/// Checks the stored row (owner, status, outputs), keeps completed outputs and answers.
void answer_row(edge_self* self, http_call& call, const principal& who, const std::string& id,
                const persistence::request_outputs_row& row, data_item what,
                const std::string& name) {
  auto scope = client_scope(who);
  if (!scope.empty() && row.client_id != scope)
    return call.reply(no_request(id));
  if (row.status != request_status::completed)
    return call.reply(problem(409, "not_ready",
                              "request " + id + " is " + std::string{name_of(row.status)} +
                                "; its outputs are served once it has completed",
                              json{{"request_status", std::string{name_of(row.status)}}}));
  std::string why;
  auto outputs = io::http::parse_outputs(row.outputs_json, why);
  if (!why.empty()) {
    GP_LOG_ERROR("http_edge: request {} has unusable outputs: {} cid={}", id, why,
                 call.req.correlation_id);
    return call.reply(problem(500, "internal", "an internal error occurred"));
  }
  if (!outputs)
    return call.reply(problem(404, "not_found", "request " + id + " has no outputs to serve"));
  if (!inside(self->state.opts.silver_root, outputs->dir)) {
    GP_LOG_ERROR("http_edge: outputs of request {} lie outside the silver root cid={}", id,
                 call.req.correlation_id);
    return call.reply(problem(500, "internal", "an internal error occurred"));
  }
  auto& entry = self->state.outputs_cache.put(
    id, served_outputs{row.client_id, row.request_type, std::move(*outputs)});
  answer(self, call, id, entry, what, name);
}

void serve(edge_self* self, http_call call, const principal& who, const std::string& id,
           data_item what, const std::string& name) {
  if (!io::http::is_hex_id(id, 32))
    return call.reply(no_request(id));
  if (auto* cached = self->state.outputs_cache.find(id)) {
    auto scope = client_scope(who);
    if (!scope.empty() && cached->client_id != scope)
      return call.reply(no_request(id));
    return answer(self, call, id, *cached, what, name);
  }
  auto reply = call.reply;
  self->request(self->state.peers.pool, self->state.opts.db_timeout, db::find_request_outputs{id})
    .then(
      [self, call, who, id, what, name](const db::find_request_outputs::result& found) mutable {
        if (!found.row)
          return call.reply(no_request(id));
        answer_row(self, call, who, id, *found.row, what, name);
      },
      [reply](const caf::error& err) { reply(failure_response(err)); });
}

}  // namespace

void handle_data_download(edge_self* self, http_call call, const principal& who,
                          const std::string& id) {
  serve(self, std::move(call), who, id, data_item::download, {});
}

void handle_data_file(edge_self* self, http_call call, const principal& who, const std::string& id,
                      const std::string& name) {
  serve(self, std::move(call), who, id, data_item::file, name);
}

void handle_data_mosaic(edge_self* self, http_call call, const principal& who,
                        const std::string& id) {
  serve(self, std::move(call), who, id, data_item::mosaic, {});
}

}  // namespace gp
