# find_package(offerledger CONFIG) -> the partner SDK as offerledger::client.
include(CMakeFindDependencyMacro)
find_dependency(Threads)
find_dependency(OpenSSL 3)
find_dependency(SQLite3)
find_dependency(Boost 1.81 COMPONENTS json)

get_filename_component(_ol_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET offerledger::client)
  add_library(offerledger::ol_common STATIC IMPORTED)
  set_target_properties(offerledger::ol_common PROPERTIES
    IMPORTED_LOCATION "${_ol_prefix}/lib/libol_common.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_ol_prefix}/include/offerledger"
    INTERFACE_LINK_LIBRARIES "OpenSSL::Crypto")
  add_library(offerledger::ol_auth STATIC IMPORTED)
  set_target_properties(offerledger::ol_auth PROPERTIES
    IMPORTED_LOCATION "${_ol_prefix}/lib/libol_auth.a"
    INTERFACE_LINK_LIBRARIES "offerledger::ol_common;OpenSSL::Crypto")
  add_library(offerledger::client STATIC IMPORTED)
  set_target_properties(offerledger::client PROPERTIES
    IMPORTED_LOCATION "${_ol_prefix}/lib/libol_client.a"
    INTERFACE_COMPILE_FEATURES cxx_std_20
    INTERFACE_LINK_LIBRARIES
      "offerledger::ol_auth;Boost::json;SQLite::SQLite3;Threads::Threads;OpenSSL::SSL;OpenSSL::Crypto")
endif()
unset(_ol_prefix)
