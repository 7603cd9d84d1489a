# Debian's libcaf-dev (CAF 0.17.6) ships neither a CMake package nor a pkg-config file.
# This module defines the imported targets CAF::core, CAF::io and CAF::openssl the way
# CAF >= 0.18 names them, so the rest of the build reads as if CAF shipped its own config.
include_guard(GLOBAL)

find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY NAMES caf_core REQUIRED)
find_library(CAF_IO_LIBRARY NAMES caf_io REQUIRED)
find_library(CAF_OPENSSL_LIBRARY NAMES caf_openssl)
find_package(Threads REQUIRED)

add_library(CAF::core UNKNOWN IMPORTED)
set_target_properties(CAF::core PROPERTIES
  IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES Threads::Threads)

add_library(CAF::io UNKNOWN IMPORTED)
set_target_properties(CAF::io PROPERTIES
  IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
  INTERFACE_LINK_LIBRARIES CAF::core)

if(CAF_OPENSSL_LIBRARY)
  find_package(OpenSSL 3 REQUIRED)
  add_library(CAF::openssl UNKNOWN IMPORTED)
  set_target_properties(CAF::openssl PROPERTIES
    IMPORTED_LOCATION "${CAF_OPENSSL_LIBRARY}"
    INTERFACE_LINK_LIBRARIES "CAF::io;OpenSSL::SSL")
endif()

file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line REGEX "define CAF_VERSION ")
string(REGEX MATCH "[0-9]+" CAF_VERSION_NUMBER "${_caf_version_line}")
message(STATUS "CAF: ${CAF_CORE_LIBRARY} (CAF_VERSION ${CAF_VERSION_NUMBER})")
