#pragma once
// What the jobs of platform requests share (private to io/jobs).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/jobs/registry.hpp"

namespace gp::io::jobs {

/// SHA-256 (hex) of a file, read in 1 MiB pieces (never the whole file in memory), stopping when
/// asked; `bytes` is its size. Throws task_failure (source_unreadable, permanent).
std::string hash_file(const std::filesystem::path& path, const task_context& ctx, uint64_t& bytes);

/// The parameters of a job that works on a request: only "request".
std::vector<http::field_error> request_only(json& p);

/// ingest_vector and stac_catalog_vectors (vector_jobs.cpp).
void add_vector_jobs(registry& r);

}  // namespace gp::io::jobs
