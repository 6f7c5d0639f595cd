# `cmake --install`: the mwx binary, libmwx (shared with an SOVERSION, and static), the
# public headers, the run-time data under share/mwx (found relative to the binary), man
# pages, mwx.pc, the mwxConfig.cmake package, and (cmake/package.cmake) a .deb by CPack.
include(CMakePackageConfigHelpers)

install(TARGETS mwx_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
set_target_properties(mwx PROPERTIES EXPORT_NAME mwx_static)
if(TARGET mwx_shared)
  set_target_properties(mwx_shared PROPERTIES EXPORT_NAME mwx)
endif()
install(TARGETS ${MWX_INSTALL_TARGETS} EXPORT mwxTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Unspecified
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/mwx DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${MWX_GEN_INCLUDE}/mwx/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mwx)

# share/mwx: what the binary looks for beside itself (bin/../share/mwx), see
# mwx_sim_data_dir() and mwx_web_default_assets().
set(MWX_DATADIR ${CMAKE_INSTALL_DATADIR}/mwx)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/regions ${PROJECT_SOURCE_DIR}/data/cap
        DESTINATION ${MWX_DATADIR})
install(DIRECTORY ${CMAKE_BINARY_DIR}/web/ DESTINATION ${MWX_DATADIR}/web)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/ DESTINATION ${MWX_DATADIR}/scenarios
        FILES_MATCHING PATTERN "*.json")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${MWX_DATADIR}/examples
        PATTERN ".gitignore" EXCLUDE)

# mwx.pc: relocatable (prefix from ${pcfiledir}).
set(MWX_PC_UP "..")
string(REGEX MATCHALL "/" _slashes "${CMAKE_INSTALL_LIBDIR}")
foreach(_s ${_slashes})
  string(APPEND MWX_PC_UP "/..")
endforeach()
string(APPEND MWX_PC_UP "/..")
string(REPLACE ";" ", " MWX_PC_REQUIRES "${MWX_PKG_DEPS}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/mwx.pc.in ${CMAKE_BINARY_DIR}/mwx.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/mwx.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# mwxConfig.cmake
string(REPLACE ";" " " MWX_PKG_DEPS_SPACED "${MWX_PKG_DEPS}")
set(MWX_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/mwx)
install(EXPORT mwxTargets NAMESPACE mwx:: DESTINATION ${MWX_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mwxConfig.cmake.in
  ${CMAKE_BINARY_DIR}/mwxConfig.cmake INSTALL_DESTINATION ${MWX_CMAKEDIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/mwxConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/mwxConfig.cmake ${CMAKE_BINARY_DIR}/mwxConfigVersion.cmake
        DESTINATION ${MWX_CMAKEDIR})

# Man pages: docs/man/*.scd -> scdoc -> gzip -9n (Debian policy) -> share/man/manN.
find_program(SCDOC scdoc)
find_program(GZIP gzip)
file(GLOB MWX_MAN_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.scd)
if(SCDOC AND GZIP)
  set(MWX_MAN_OUT)
  foreach(src ${MWX_MAN_SOURCES})
    get_filename_component(page ${src} NAME_WLE) # mwx-run.1
    string(REGEX REPLACE ".*\\.([0-9])$" "\\1" sect ${page})
    add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/man/${page}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND sh -c "'${SCDOC}' < '${src}' > '${CMAKE_BINARY_DIR}/man/${page}'"
      COMMAND ${GZIP} -9nf ${CMAKE_BINARY_DIR}/man/${page}
      DEPENDS ${src} COMMENT "man page ${page}" VERBATIM)
    list(APPEND MWX_MAN_OUT ${CMAKE_BINARY_DIR}/man/${page}.gz)
    install(FILES ${CMAKE_BINARY_DIR}/man/${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${sect})
  endforeach()
  add_custom_target(mwx_man ALL DEPENDS ${MWX_MAN_OUT})
else()
  message(WARNING "scdoc not found: no man pages (scripts/setup-deps installs it)")
endif()

include(${PROJECT_SOURCE_DIR}/cmake/package.cmake)
