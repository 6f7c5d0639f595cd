# The operator page in the build tree: ${CMAKE_BINARY_DIR}/web holds index.html, app.js,
# style.css, the npm assets it needs (vendor/) and the regions (data/), so that
# build/mwx finds them beside itself (mwx_web_default_assets). Everything is served by mwx
# itself: no CDN, no network at run time. web/node_modules comes from scripts/setup-deps
# (npm ci in web/); without it the page's map libraries are missing, which the browser
# test reports.
set(MWX_WEB_SRC ${PROJECT_SOURCE_DIR}/web)
set(MWX_WEB_OUT ${CMAKE_BINARY_DIR}/web)
set(MWX_WEB_NM ${MWX_WEB_SRC}/node_modules)

# source -> destination (relative to MWX_WEB_OUT)
set(MWX_WEB_FILES
  ${MWX_WEB_SRC}/index.html                                 index.html
  ${MWX_WEB_SRC}/app.js                                     app.js
  ${MWX_WEB_SRC}/style.css                                  style.css
  ${MWX_WEB_SRC}/report.js                                  report.js
  ${MWX_WEB_SRC}/report.css                                 report.css
  ${PROJECT_SOURCE_DIR}/data/regions/northeast-asia.geojson data/northeast-asia.geojson
  ${PROJECT_SOURCE_DIR}/data/regions/SOURCES.md             data/SOURCES.md)
set(MWX_WEB_NPM_FILES
  ${MWX_WEB_NM}/leaflet/dist/leaflet.js                     vendor/leaflet/leaflet.js
  ${MWX_WEB_NM}/leaflet/dist/leaflet.css                    vendor/leaflet/leaflet.css
  ${MWX_WEB_NM}/leaflet/dist/images/layers.png              vendor/leaflet/images/layers.png
  ${MWX_WEB_NM}/leaflet/dist/images/layers-2x.png           vendor/leaflet/images/layers-2x.png
  ${MWX_WEB_NM}/leaflet/dist/images/marker-icon.png         vendor/leaflet/images/marker-icon.png
  ${MWX_WEB_NM}/leaflet/dist/images/marker-icon-2x.png      vendor/leaflet/images/marker-icon-2x.png
  ${MWX_WEB_NM}/leaflet/dist/images/marker-shadow.png       vendor/leaflet/images/marker-shadow.png
  ${MWX_WEB_NM}/leaflet/LICENSE                             vendor/leaflet/LICENSE
  ${MWX_WEB_NM}/topojson-client/dist/topojson-client.min.js vendor/topojson-client.min.js
  ${MWX_WEB_NM}/topojson-client/LICENSE                     vendor/topojson-client.LICENSE
  ${MWX_WEB_NM}/world-atlas/countries-50m.json              vendor/world-atlas/countries-50m.json
  ${MWX_WEB_NM}/world-atlas/LICENSE                         vendor/world-atlas/LICENSE
  ${MWX_WEB_NM}/uplot/dist/uPlot.iife.min.js                vendor/uplot/uPlot.iife.min.js
  ${MWX_WEB_NM}/uplot/dist/uPlot.min.css                    vendor/uplot/uPlot.min.css
  ${MWX_WEB_NM}/uplot/LICENSE                               vendor/uplot/LICENSE)

if(EXISTS ${MWX_WEB_NM}/leaflet/dist/leaflet.js)
  list(APPEND MWX_WEB_FILES ${MWX_WEB_NPM_FILES})
else()
  message(WARNING "web/node_modules is missing: the operator page will lack its map "
                  "libraries. Run scripts/setup-deps (npm ci in web/) and re-run cmake.")
endif()

set(MWX_WEB_OUTPUTS)
list(LENGTH MWX_WEB_FILES _mwx_web_n)
math(EXPR _mwx_web_last "${_mwx_web_n} - 1")
foreach(i RANGE 0 ${_mwx_web_last} 2)
  math(EXPR j "${i} + 1")
  list(GET MWX_WEB_FILES ${i} src)
  list(GET MWX_WEB_FILES ${j} dst)
  add_custom_command(OUTPUT ${MWX_WEB_OUT}/${dst}
    COMMAND ${CMAKE_COMMAND} -E copy_if_different ${src} ${MWX_WEB_OUT}/${dst}
    DEPENDS ${src}
    COMMENT "web asset ${dst}" VERBATIM)
  list(APPEND MWX_WEB_OUTPUTS ${MWX_WEB_OUT}/${dst})
endforeach()
add_custom_target(mwx_web_assets ALL DEPENDS ${MWX_WEB_OUTPUTS})
if(TARGET mwx_cli)
  add_dependencies(mwx_cli mwx_web_assets)
endif()
