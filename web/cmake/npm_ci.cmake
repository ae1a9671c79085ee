# cmake -DNPM=npm -DWEB_DIR=web -DSTAMP=file -P npm_ci.cmake
# Runs `npm ci --prefix WEB_DIR` unless web/node_modules already holds what
# web/package-lock.json says (a digest of the lock, written after a successful
# install, is kept in node_modules). Build directories sharing the source tree
# serialize on a lock file, so only one of them installs. Never downloads a
# browser: the end-to-end test drives the system Chromium.
file(SHA256 ${WEB_DIR}/package-lock.json lock_digest)
set(marker ${WEB_DIR}/node_modules/.offerledger-lock.sha256)

file(LOCK ${WEB_DIR}/.npm-ci.lock GUARD PROCESS TIMEOUT 900 RESULT_VARIABLE lock_result)
if(NOT lock_result EQUAL 0)
  message(FATAL_ERROR "npm_ci: cannot lock ${WEB_DIR}/.npm-ci.lock: ${lock_result}")
endif()

set(installed "")
if(EXISTS ${marker})
  file(READ ${marker} installed)
  string(STRIP "${installed}" installed)
endif()
if(NOT installed STREQUAL lock_digest)
  message(STATUS "npm ci --prefix ${WEB_DIR}")
  set(ENV{PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD} 1)
  execute_process(
    COMMAND ${NPM} ci --prefix ${WEB_DIR} --no-audit --no-fund --loglevel=error
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "npm ci --prefix ${WEB_DIR} failed (${rc})")
  endif()
  file(WRITE ${marker} "${lock_digest}\n")
endif()
file(LOCK ${WEB_DIR}/.npm-ci.lock RELEASE)
file(TOUCH ${STAMP})
