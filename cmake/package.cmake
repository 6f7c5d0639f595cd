# A Debian package by CPack: `cpack -G DEB` in a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr (scripts/check-install does it and runs lintian).
set(MWX_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/mwx)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/mwx-node@.service
        DESTINATION lib/systemd/system COMPONENT Unspecified)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/sysusers.conf DESTINATION lib/sysusers.d
        RENAME mwx.conf)
# Debian wants the licence as doc/PACKAGE/copyright and a compressed changelog.
configure_file(${PROJECT_SOURCE_DIR}/packaging/copyright.in ${CMAKE_BINARY_DIR}/pkg/copyright @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in ${CMAKE_BINARY_DIR}/pkg/changelog @ONLY)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/pkg/changelog.gz
  COMMAND gzip -9nkf ${CMAKE_BINARY_DIR}/pkg/changelog
  DEPENDS ${CMAKE_BINARY_DIR}/pkg/changelog VERBATIM)
add_custom_target(mwx_pkg_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/pkg/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/pkg/copyright ${CMAKE_BINARY_DIR}/pkg/changelog.gz
              ${PROJECT_SOURCE_DIR}/docs/INSTALL.md
        DESTINATION ${MWX_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mwx)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "mwx")
set(CPACK_PACKAGE_CONTACT "mwx maintainers <maintainers@mwx.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "open missile-warning data exchange")
# The long description (CPack puts the summary above it and indents each line).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "mwx simulates missile launches and the radars and infrared satellites
that see them, tracks them, shares signed tracks between allied nations
over NATS and issues public CAP 1.2 warnings. It is defensive only:
detect, track, predict, share, warn.

This package has the mwx command, libmwx (shared and static) with its
headers, pkg-config file and CMake package, the data it needs, man pages
and a systemd unit (mwx-node@.service) for running a nation's node.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "nats-server")
# our own maintainer scripts replace CPack's, so the ldconfig trigger is ours too
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/postinst
    ${PROJECT_SOURCE_DIR}/packaging/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
