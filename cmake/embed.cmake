# ariadne_embed(TARGET_VAR NAMESPACE FILES...) generates a .cpp that holds each
# file's bytes as a string_view, so data files ship inside the binary and the
# sources stay plain YAML.
function(ariadne_embed out_var symbol)
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/embedded_${symbol}.cpp)
  set(files ${ARGN})
  # Lists cannot pass through add_custom_command arguments; join with '|'.
  string(REPLACE ";" "|" files_arg "${files}")
  add_custom_command(
    OUTPUT ${gen}
    COMMAND ${CMAKE_COMMAND} -DOUT=${gen} -DSYMBOL=${symbol} -DBASE=${PROJECT_SOURCE_DIR}
            "-DFILES=${files_arg}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    COMMENT "Embedding ${symbol}"
    VERBATIM)
  set(${out_var} ${gen} PARENT_SCOPE)
endfunction()
