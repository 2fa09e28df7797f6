# Finds the SentencePiece library (Debian: libsentencepiece-dev) and defines the imported
# target SentencePiece::sentencepiece. Searches the usual prefixes and CMAKE_PREFIX_PATH /
# SentencePiece_ROOT, so that a folder holding include/sentencepiece_processor.h and
# lib/libsentencepiece.so* (e.g. carried to a GPU machine) works as well.
# SPDX-License-Identifier: GPL-3.0-or-later
find_path(SentencePiece_INCLUDE_DIR sentencepiece_processor.h)
find_library(SentencePiece_LIBRARY NAMES sentencepiece)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SentencePiece
  REQUIRED_VARS SentencePiece_LIBRARY SentencePiece_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "install libsentencepiece-dev (scripts/install-deps.sh)")
if(SentencePiece_FOUND AND NOT TARGET SentencePiece::sentencepiece)
  add_library(SentencePiece::sentencepiece UNKNOWN IMPORTED)
  set_target_properties(SentencePiece::sentencepiece PROPERTIES
    IMPORTED_LOCATION "${SentencePiece_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SentencePiece_INCLUDE_DIR}")
endif()
mark_as_advanced(SentencePiece_INCLUDE_DIR SentencePiece_LIBRARY)
