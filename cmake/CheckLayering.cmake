# Enforces the layering of DESIGN.md:
#   - only engine/ may include torch (torch/, ATen/, c10/) headers;
#   - only ui/ and app/ may include Qt widget or QCustomPlot headers.
# Used at configure time (include + call) and as a script by ctest:
#   cmake -DSOURCE_DIR=<repo> -P cmake/CheckLayering.cmake
# SPDX-License-Identifier: GPL-3.0-or-later

function(tensorpoly_check_layering source_dir)
  set(violations "")
  foreach(folder ui sessions)
    file(GLOB_RECURSE files "${source_dir}/${folder}/*.h" "${source_dir}/${folder}/*.hpp"
         "${source_dir}/${folder}/*.cpp")
    foreach(file IN LISTS files)
      file(STRINGS "${file}" hits REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"](torch|ATen|c10)/")
      if(hits)
        list(APPEND violations "${file}: torch header outside engine/: ${hits}")
      endif()
    endforeach()
  endforeach()
  foreach(folder engine sessions)
    file(GLOB_RECURSE files "${source_dir}/${folder}/*.h" "${source_dir}/${folder}/*.hpp"
         "${source_dir}/${folder}/*.cpp")
    foreach(file IN LISTS files)
      file(STRINGS "${file}" hits
           REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"](QtWidgets|QWidget|QMainWindow|QDialog|qcustomplot)")
      if(hits)
        list(APPEND violations "${file}: Qt widget header outside ui/ and app/: ${hits}")
      endif()
    endforeach()
  endforeach()
  if(violations)
    list(JOIN violations "\n  " message)
    message(FATAL_ERROR "Layering violation (see DESIGN.md):\n  ${message}")
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND DEFINED SOURCE_DIR)
  tensorpoly_check_layering("${SOURCE_DIR}")
  message(STATUS "layering ok: ${SOURCE_DIR}")
endif()
