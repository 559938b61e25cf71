# The Debian package, laid out as Debian's prometheus-node-exporter: the binary in /usr/bin, the
# systemd unit in /lib/systemd/system, its
# options in /etc/default/evonic-sandbox-exporter (a conffile), a man page made from --help, the
# README and the example thresholds file under /usr/share/doc. scripts/package.sh builds it
# (cpack in build-release/, configured with -DCMAKE_INSTALL_PREFIX=/usr).
include(GNUInstallDirs)
set(debian_dir ${CMAKE_CURRENT_LIST_DIR})

# The man page, from --help at build time (help2man; scripts/install-deps.sh build installs it).
# Not in sanitizer and fuzz builds, which package nothing: their binary is not run while building.
find_program(HELP2MAN help2man)
if(EVONIC_SANITIZE OR EVONIC_FUZZ)
elseif(HELP2MAN)
  set(man_page ${CMAKE_BINARY_DIR}/evonic-sandbox-exporter.1.gz)
  add_custom_command(OUTPUT ${man_page}
    COMMAND sh -c "\"$0\" --no-info --no-discard-stderr --section=1 --version-string=\"$1\" \
--name=\"$2\" \"$3\" | gzip -9n >\"$4\"" ${HELP2MAN} ${PROJECT_VERSION}
      "Prometheus exporter for Evonic's Docker sandboxes" $<TARGET_FILE:evonic-sandbox-exporter>
      ${man_page}
    DEPENDS evonic-sandbox-exporter VERBATIM)
  add_custom_target(man_page ALL DEPENDS ${man_page})
  install(FILES ${man_page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(WARNING "help2man not found: no man page (scripts/install-deps.sh build installs it)")
endif()
install(FILES ${CMAKE_SOURCE_DIR}/deploy/thresholds.example.yml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# Files only the package installs (absolute paths of the system's): a plain `cmake --install`
# leaves them out.
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/evonic-sandbox-exporter.service
  DESTINATION /lib/systemd/system COMPONENT debian EXCLUDE_FROM_ALL)
install(FILES ${debian_dir}/evonic-sandbox-exporter.default DESTINATION /etc/default
  RENAME evonic-sandbox-exporter COMPONENT debian EXCLUDE_FROM_ALL)

set(EVONIC_DEB_REVISION 1 CACHE STRING "Debian revision of the package (the -N of its version)")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME evonic-sandbox-exporter)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# Both components in one package.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL Unspecified debian)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${EVONIC_DEB_REVISION})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "evonic-sandbox-exporter maintainers <root@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Prometheus exporter for Evonic's Docker sandboxes")
# The extended description; CPack puts the summary above it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Serves CPU, memory, network, block I/O and PID metrics of \
every Evonic sandbox container, labelled by agent and session, read from cgroupfs or the Docker \
Engine API, with the REST endpoints Evonic's UI asks for and a live page. Built from revision \
${EVONIC_REVISION_USED}.")
# The libraries the binary links, from dpkg-shlibdeps (libssl3 among them, for TLS), and passwd
# for postinst's useradd.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${debian_dir}/conffiles ${debian_dir}/postinst ${debian_dir}/prerm ${debian_dir}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
