# The web UI: cpp-httplib, the UI's assets embedded into the binary, and the monitoring test
# helpers. Included from the top-level CMakeLists.txt after `sluice_module(web ...)`:
#   include(src/web/CMakeLists.inc.cmake)
#
# uPlot (the charts) comes from npm: `npm ci` runs at configure time into the build folder,
# pinned by src/web/ui/package-lock.json; the repository never holds node_modules. Without npm
# or network the build still succeeds, warns, and the UI says charts are unavailable.

# Debian builds cpp-httplib as a shared library; its compile definitions (OpenSSL, zlib,
# brotli support) change class layouts, so they must come from its pkg-config file.
pkg_check_modules(CPPHTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_package(Python3 REQUIRED COMPONENTS Interpreter)

set(SLUICE_UI_SRC ${CMAKE_SOURCE_DIR}/src/web/ui)
set(SLUICE_UI_NPM ${CMAKE_BINARY_DIR}/web-ui-npm)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${SLUICE_UI_SRC}/package.json ${SLUICE_UI_SRC}/package-lock.json)

set(SLUICE_UPLOT_JS ${SLUICE_UI_NPM}/node_modules/uplot/dist/uPlot.iife.min.js)
set(SLUICE_UPLOT_CSS ${SLUICE_UI_NPM}/node_modules/uplot/dist/uPlot.min.css)
set(SLUICE_UI_LOCK_STAMP ${SLUICE_UI_NPM}/package-lock.installed)
file(SHA256 ${SLUICE_UI_SRC}/package-lock.json SLUICE_UI_LOCK_HASH)
set(SLUICE_UI_INSTALLED "")
if(EXISTS ${SLUICE_UI_LOCK_STAMP})
  file(READ ${SLUICE_UI_LOCK_STAMP} SLUICE_UI_INSTALLED)
endif()
if(NOT SLUICE_UI_INSTALLED STREQUAL SLUICE_UI_LOCK_HASH OR NOT EXISTS ${SLUICE_UPLOT_JS})
  find_program(NPM_EXECUTABLE npm)
  set(npm_ok FALSE)
  if(NPM_EXECUTABLE)
    file(MAKE_DIRECTORY ${SLUICE_UI_NPM})
    file(COPY ${SLUICE_UI_SRC}/package.json ${SLUICE_UI_SRC}/package-lock.json DESTINATION ${SLUICE_UI_NPM})
    message(STATUS "web UI: npm ci (uPlot) into ${SLUICE_UI_NPM}")
    execute_process(
      COMMAND ${NPM_EXECUTABLE} ci --no-audit --no-fund --ignore-scripts --loglevel=error
      WORKING_DIRECTORY ${SLUICE_UI_NPM}
      RESULT_VARIABLE npm_rc OUTPUT_VARIABLE npm_out ERROR_VARIABLE npm_err TIMEOUT 300)
    if(npm_rc EQUAL 0 AND EXISTS ${SLUICE_UPLOT_JS})
      set(npm_ok TRUE)
      file(WRITE ${SLUICE_UI_LOCK_STAMP} ${SLUICE_UI_LOCK_HASH})
    else()
      message(WARNING "web UI: `npm ci` failed (${npm_rc}): ${npm_err}")
    endif()
  endif()
  if(NOT npm_ok)
    message(WARNING "web UI: uPlot is not available, so the UI is built without charts (its "
                    "tables still work). Install npm with network access and re-run cmake.")
  endif()
endif()

set(SLUICE_UI_ASSETS
    index.html=${SLUICE_UI_SRC}/index.html
    app.js=${SLUICE_UI_SRC}/app.js
    style.css=${SLUICE_UI_SRC}/style.css)
set(SLUICE_UI_ASSET_DEPS ${SLUICE_UI_SRC}/index.html ${SLUICE_UI_SRC}/app.js ${SLUICE_UI_SRC}/style.css)
if(EXISTS ${SLUICE_UPLOT_JS} AND EXISTS ${SLUICE_UPLOT_CSS})
  list(APPEND SLUICE_UI_ASSETS uPlot.iife.min.js=${SLUICE_UPLOT_JS} uPlot.min.css=${SLUICE_UPLOT_CSS})
  list(APPEND SLUICE_UI_ASSET_DEPS ${SLUICE_UPLOT_JS} ${SLUICE_UPLOT_CSS})
endif()

set(SLUICE_UI_GEN ${CMAKE_BINARY_DIR}/generated/web/ui_assets.cc)
add_custom_command(
  OUTPUT ${SLUICE_UI_GEN}
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/src/web/embed_assets.py ${SLUICE_UI_GEN} ${SLUICE_UI_ASSETS}
  DEPENDS ${CMAKE_SOURCE_DIR}/src/web/embed_assets.py ${SLUICE_UI_ASSET_DEPS}
  COMMENT "Embedding the web UI's assets"
  VERBATIM)
target_sources(sluice_web PRIVATE ${SLUICE_UI_GEN})
target_link_libraries(sluice_web PRIVATE PkgConfig::CPPHTTPLIB)

# Synthetic monitoring data for the monitor and web tests and the `ui_demo` binary.
add_library(sluice_monitor_testing STATIC ${CMAKE_SOURCE_DIR}/src/monitor/testing/synthetic_run.cc)
target_link_libraries(sluice_monitor_testing PUBLIC sluice_monitor)
target_compile_options(sluice_monitor_testing PRIVATE ${SLUICE_WARNINGS})
if(TARGET monitor_test)
  target_link_libraries(monitor_test PRIVATE sluice_monitor_testing simdjson::simdjson)
endif()
if(TARGET web_test)
  target_link_libraries(web_test PRIVATE sluice_monitor_testing PkgConfig::CPPHTTPLIB simdjson::simdjson)
endif()

# ui_demo: the UI over synthetic data, for working on the UI and for the browser test before
# (and besides) a real `sluice run --ui`.
add_executable(ui_demo ${CMAKE_SOURCE_DIR}/src/web/demo/ui_demo.cc)
target_link_libraries(ui_demo PRIVATE sluice_web sluice_monitor_testing)
target_compile_options(ui_demo PRIVATE ${SLUICE_WARNINGS})

# Browser end-to-end test (needs Debian's chromium and npm's playwright-core); label e2e.
add_test(NAME web_ui_e2e
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/e2e/ui_test.py
                 --demo $<TARGET_FILE:ui_demo> --out ${CMAKE_BINARY_DIR}/ui-screenshots)
set_tests_properties(web_ui_e2e PROPERTIES LABELS "e2e;browser" TIMEOUT 300 SKIP_RETURN_CODE 77
                     RESOURCE_LOCK sluice_e2e_npm)

# The Workers page's Group section on a real group-mode run: `sluice dev-kafka`, two
# `sluice run --group-id g --checkpoint DIR` processes (one with --ui), checked against /api/workers.
add_test(NAME web_ui_group_e2e
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/e2e/ui_test.py --group
                 --sluice $<TARGET_FILE:sluice> --out ${CMAKE_BINARY_DIR}/ui-screenshots)
# Both install playwright-core into <build>/e2e-npm on first use: never at the same time.
set_tests_properties(web_ui_group_e2e PROPERTIES LABELS "e2e;browser;kafka" TIMEOUT 120 SKIP_RETURN_CODE 77
                     RESOURCE_LOCK sluice_e2e_npm)
