# The admin dashboard (web/), compiled into `offerledger` like the default
# catalog: web/dashboard.{html,js,css} and Chart.js from npm become raw string
# literals in a generated dashboard_assets.cpp. Included by src/CMakeLists.txt.
#
# npm ci runs at build time, into web/node_modules, only when node_modules is
# missing or web/package-lock.json changed (web/cmake/npm_ci.cmake; build
# directories sharing the tree take a lock, so one installs and the others wait).
# -DOFFERLEDGER_DASHBOARD=OFF builds without npm: /admin/dashboard answers 404.
option(OFFERLEDGER_DASHBOARD "Compile the admin dashboard (web/, needs npm at build time) into the binary" ON)

set(OL_WEB_DIR ${PROJECT_SOURCE_DIR}/web)
set(OL_DASHBOARD_CPP ${CMAKE_CURRENT_BINARY_DIR}/dashboard_assets.cpp)

if(OFFERLEDGER_DASHBOARD)
  find_program(NPM_PROGRAM npm)
  if(NOT NPM_PROGRAM)
    message(FATAL_ERROR "npm not found: it installs the dashboard's chart library. "
      "Run scripts/install-deps.sh, or configure with -DOFFERLEDGER_DASHBOARD=OFF.")
  endif()
  set(OL_NPM_STAMP ${CMAKE_CURRENT_BINARY_DIR}/npm-ci.stamp)
  add_custom_command(
    OUTPUT ${OL_NPM_STAMP}
    COMMAND ${CMAKE_COMMAND} -DNPM=${NPM_PROGRAM} -DWEB_DIR=${OL_WEB_DIR} -DSTAMP=${OL_NPM_STAMP}
            -P ${OL_WEB_DIR}/cmake/npm_ci.cmake
    DEPENDS ${OL_WEB_DIR}/package.json ${OL_WEB_DIR}/package-lock.json ${OL_WEB_DIR}/cmake/npm_ci.cmake
    COMMENT "npm ci --prefix web (when web/node_modules is missing or the lock changed)"
    VERBATIM)

  # name|media type|file: name "" is the page itself (/admin/dashboard); all are UTF-8.
  set(OL_DASHBOARD_ASSETS
    "|text/html|${OL_WEB_DIR}/dashboard.html"
    "app.js|text/javascript|${OL_WEB_DIR}/dashboard.js"
    "dashboard.css|text/css|${OL_WEB_DIR}/dashboard.css"
    "chart.js|text/javascript|${OL_WEB_DIR}/node_modules/chart.js/dist/chart.umd.min.js")
  set(OL_DASHBOARD_FILES)
  foreach(asset IN LISTS OL_DASHBOARD_ASSETS)
    string(REGEX REPLACE "^[^|]*\\|[^|]*\\|" "" file "${asset}")
    list(APPEND OL_DASHBOARD_FILES ${file})
  endforeach()
  string(REPLACE ";" "," OL_DASHBOARD_ASSETS_ARG "${OL_DASHBOARD_ASSETS}")
  add_custom_command(
    OUTPUT ${OL_DASHBOARD_CPP}
    COMMAND ${CMAKE_COMMAND} "-DASSETS=${OL_DASHBOARD_ASSETS_ARG}" -DOUT=${OL_DASHBOARD_CPP}
            -P ${OL_WEB_DIR}/cmake/embed_assets.cmake
    DEPENDS ${OL_NPM_STAMP} ${OL_WEB_DIR}/dashboard.html ${OL_WEB_DIR}/dashboard.js
            ${OL_WEB_DIR}/dashboard.css ${OL_WEB_DIR}/cmake/embed_assets.cmake
    COMMENT "Embedding the dashboard (web/ and Chart.js) into dashboard_assets.cpp"
    VERBATIM)
else()
  set(ASSETS "")
  set(OUT ${OL_DASHBOARD_CPP})
  include(${OL_WEB_DIR}/cmake/embed_assets.cmake)  # writes a table without assets
endif()

target_sources(offerledger PRIVATE ${OL_DASHBOARD_CPP})
