#pragma once
// The codes a failed platform request can carry in `error.code`, and whether each is retryable.
// `retryable` means: a retry with nothing changed may succeed (the database was unavailable, a
// timeout, a crash or a lost lease, a transient I/O error). Codes about the source itself are not
// retryable: the client fixes the file and submits a new version, or changes the file and
// retries. docs/api.md lists this table; tests/drift checks that the two agree and that every code
// the job library or the actors raise is here.
#include <string_view>

namespace gp {

/// One row of the table of request failure codes.
struct failure_code {
  std::string_view code;
  bool retryable;
  std::string_view meaning;
  /// Found in the source or its settings: what a client changes before retrying, so a retry
  /// reads the source again from the start (persistence/job_changes.cpp).
  bool about_source = false;
};

// clang-format off
inline constexpr failure_code failure_codes[] = {
  // The source and its settings: the client must change something (the rows about the source
  // itself, which a retry reads again, are marked).
  {"source_not_found",        false, "the source file or folder does not exist in the client's folder", true},
  {"source_outside_folder",   false, "the source (or a link in it) leads outside the client's folder", true},
  {"source_too_large",        false, "the source is larger than storage.max_source_bytes", true},
  {"source_unreadable",       false, "the source is not a file of a format the request type reads", true},
  {"unsupported_source",      false, "the source is of a kind the request type does not accept", true},
  {"invalid_file_name",       false, "a file name in the source folder is not valid UTF-8", true},
  {"no_matching_files",       false, "no file of the collection's folder matches its pattern", true},
  {"unreadable",              false, "GDAL cannot read the raster", true},
  {"empty_raster",            false, "the raster has no pixels or no bands", true},
  {"not_georeferenced",       false, "the raster has no usable georeferencing", true},
  {"crs_unknown",             false, "the raster's CRS is missing or cannot be transformed to EPSG:4326", true},
  {"raster_too_large",        false, "the raster has more pixels than the configured limit", true},
  {"archive_unreadable",      false, "the ZIP archive cannot be read", true},
  {"archive_too_large",       false, "the ZIP archive expands beyond the configured size or ratio", true},
  {"layer_required",          false, "the source has several layers and processing_config.layer_name is missing", true},
  {"layer_not_found",         false, "processing_config.layer_name names no layer of the source", true},
  {"column_not_found",        false, "a column named in processing_config does not exist", true},
  {"no_geometry",             false, "the layer has no geometry column", true},
  {"datetime_column_not_a_time", false, "processing_config.datetime_column holds values that are not dates or times", true},
  {"crs_required",            false, "the source has no CRS and processing_config.source_crs is missing", true},
  {"invalid_source_crs",      false, "processing_config.source_crs is not a CRS GDAL knows", true},
  {"too_many_features",       false, "the layer has more features than the configured limit", true},
  {"no_features",             false, "the layer has no feature with a geometry", true},
  {"no_outputs",              false, "the request's jobs produced no output to serve"},
  {"load_lost",               false, "the loaded output disappeared before the request completed; submit again"},
  {"layer_not_loaded",        false, "the request's layer was never loaded; submit again"},
  {"unsupported_request_type", false, "no pipeline runs this request type"},
  {"invalid_job_parameters",  false, "the request's settings do not make valid job parameters"},
  {"planning_failed",         false, "a job's first stage could not be planned from its parameters"},
  {"invalid_result",          false, "a job produced a result that cannot be stored"},
  {"request_cancelled",       false, "the request was cancelled while its output was being published"},
  {"unknown_task_type",       false, "no node of this deployment runs one of the request's tasks"},
  // The platform: a retry with nothing changed may succeed.
  {"source_changed",          true,  "the source changed while it was processed; a retry reads it again", true},
  {"database_unavailable",    true,  "the database could not be reached or refused the work"},
  {"load_failed",             true,  "writing the output (PostGIS table or GeoPackage) failed"},
  {"publish_failed",          true,  "the finished output could not be put in place"},
  {"cog_failed",              true,  "writing the Cloud-Optimized GeoTIFF failed (disk, memory)"},
  {"cog_unreadable",          true,  "a written COG could not be read back"},
  {"write_failed",            true,  "an output file could not be written"},
  {"output_missing",          true,  "an output an earlier step wrote is not in the request's output folder"},
  {"timeout",                 true,  "a task ran past its maximum duration"},
  {"stopped",                 true,  "a task was stopped (shutdown, lost claim)"},
  {"attempts_exhausted",      true,  "a task's workers kept disappearing (crashes, lost leases)"},
  {"handler_error",           true,  "a task failed unexpectedly"},
  {"request_actor_crashed",   true,  "the request's actor kept crashing"},
  {"job_failed",              true,  "a job failed without a task's code"},
};
// clang-format on

/// Whether a request that failed with `code` may succeed when retried unchanged. A code missing
/// from the table (none should be: the drift check looks) counts as retryable: it may.
constexpr bool retryable_failure(std::string_view code) {
  for (const auto& f : failure_codes)
    if (f.code == code)
      return f.retryable;
  return true;
}

/// Whether `code` is about the source itself (marked in the table), so that a retry must read the
/// source again from the start.
constexpr bool source_failure(std::string_view code) {
  for (const auto& f : failure_codes)
    if (f.code == code)
      return f.about_source;
  return false;
}

}  // namespace gp
