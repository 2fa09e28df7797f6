# Compiles a probe source with the exact compile command of a real source of one
# layer, taken from the build's compile_commands.json, and checks the outcome. The
# Layering.* tests use it to prove that the build itself enforces DESIGN.md's
# layering: a ui/, sessions/ or app/ source that includes <torch/torch.h> does not
# compile (the include paths of torch are the engine's own), while the same probe
# compiles with an engine source's command (the control that lets the check fail).
#
#   cmake -DBUILD_DIR=<build> -DSOURCE_REGEX=<regex of a real source path>
#         -DPROBE=<probe.cpp> -DEXPECT=FAIL|PASS [-DERROR_REGEX=<regex>]
#         -P cmake/CompileProbe.cmake
#
# EXPECT=FAIL passes only when the compiler fails with output matching ERROR_REGEX
# (e.g. "torch/torch.h: No such file"), so an unrelated failure is not taken as proof.
# SPDX-License-Identifier: GPL-3.0-or-later
cmake_minimum_required(VERSION 3.22)

foreach(required BUILD_DIR SOURCE_REGEX PROBE EXPECT)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "CompileProbe.cmake: -D${required}=... is required")
  endif()
endforeach()
if(NOT EXPECT MATCHES "^(FAIL|PASS)$")
  message(FATAL_ERROR "CompileProbe.cmake: EXPECT must be FAIL or PASS, got '${EXPECT}'")
endif()
if(EXPECT STREQUAL "FAIL" AND NOT DEFINED ERROR_REGEX)
  message(FATAL_ERROR "CompileProbe.cmake: EXPECT=FAIL needs -DERROR_REGEX=...")
endif()

set(database "${BUILD_DIR}/compile_commands.json")
if(NOT EXISTS "${database}")
  message(FATAL_ERROR "${database} is missing (configure with a Ninja or Makefile generator)")
endif()
file(READ "${database}" entries)
string(JSON count LENGTH "${entries}")

# The first source (in the database's order) whose path matches SOURCE_REGEX.
set(command "")
if(count GREATER 0)
  math(EXPR last "${count} - 1")
  foreach(index RANGE ${last})
    string(JSON source GET "${entries}" ${index} file)
    if(source MATCHES "${SOURCE_REGEX}")
      string(JSON command GET "${entries}" ${index} command)
      string(JSON directory GET "${entries}" ${index} directory)
      break()
    endif()
  endforeach()
endif()
if(command STREQUAL "")
  message(FATAL_ERROR "${database}: no source matches '${SOURCE_REGEX}'")
endif()

# The same command line, compiling the probe into a file of its own.
get_filename_component(probe_name "${PROBE}" NAME_WE)
string(MD5 probe_key "${SOURCE_REGEX}|${PROBE}")
set(object "${BUILD_DIR}/layering-probes/${probe_name}-${probe_key}.o")
file(MAKE_DIRECTORY "${BUILD_DIR}/layering-probes")
if(NOT command MATCHES " -o ([^ ]+)")
  message(FATAL_ERROR "no -o OUTPUT in the command of ${source}: ${command}")
endif()
set(output "${CMAKE_MATCH_1}")
string(REPLACE " -o ${output}" " -o ${object}" command "${command}")
string(REPLACE " -MT ${output}" " -MT ${object}" command "${command}")
string(REPLACE " -MF ${output}.d" " -MF ${object}.d" command "${command}")
string(REPLACE " -c ${source}" " -c ${PROBE}" probe_command "${command}")
if(probe_command STREQUAL command)
  message(FATAL_ERROR "no -c ${source} in its command: ${command}")
endif()

execute_process(COMMAND sh -c "${probe_command}" WORKING_DIRECTORY "${directory}"
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
file(REMOVE "${object}" "${object}.d")
message(STATUS "command of ${source}, compiling ${PROBE}:\n${probe_command}")
if(EXPECT STREQUAL "PASS")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "expected ${PROBE} to compile with the flags of ${source}; it failed "
                        "(${status}):\n${out}")
  endif()
  message(STATUS "compiled, as expected")
else()
  if(status EQUAL 0)
    message(FATAL_ERROR "expected ${PROBE} NOT to compile with the flags of ${source}, "
                        "but it compiled: the layering is not enforced by the build")
  endif()
  if(NOT out MATCHES "${ERROR_REGEX}")
    message(FATAL_ERROR "${PROBE} failed to compile with the flags of ${source}, but not with "
                        "the expected error '${ERROR_REGEX}':\n${out}")
  endif()
  message(STATUS "refused, as expected: ${CMAKE_MATCH_0}")
endif()
