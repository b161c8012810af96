#pragma once
/// Runs Readers over the inputs on a pool of threads. Each thread has its own sink; outputs that
/// must keep file order are handed over per file and written in input order.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ingest/event.h"
#include "ingest/parser.h"
#include "ingest/reader.h"
#include "ingest/sources/inputs.h"

namespace sentinel::cli {

class OrderedOutput;

/// A per-thread sink that may also produce text per file (parse) and is merged at the end.
class WorkerSink : public ingest::EventSink {
 public:
  /// Called after each file; returns text to write to stdout for that file (in input order).
  virtual std::string take_output() { return {}; }
  /// Called after each file with its report.
  virtual void on_file(const ingest::Input& in, const ingest::FileReport& rep) = 0;

  /// Set by run_inputs while this sink reads input `index` of `output` (nullptr between files).
  void set_output_turn(OrderedOutput* output, std::size_t index) {
    output_ = output;
    index_ = index;
    in_turn_ = false;
  }

 protected:
  /// Writes `text` to stdout now and clears it (keeping its capacity) once it holds a piece
  /// (kOutputPieceBytes) and the current file's text may go out at once: every earlier input's
  /// text is written. Otherwise leaves it for take_output(). Called after each append, it lets a
  /// sink print a file's output through one small reused buffer, instead of the whole file's text
  /// in a buffer grown (and its fresh pages faulted in) by doubling.
  void write_if_in_turn(std::string* text) {
    if (text->size() >= kOutputPieceBytes) write_piece_if_in_turn(text);
  }

 private:
  static constexpr std::size_t kOutputPieceBytes = std::size_t{32} << 10;
  void write_piece_if_in_turn(std::string* text);

  OrderedOutput* output_ = nullptr;
  std::size_t index_ = 0;
  bool in_turn_ = false;  // once in turn, a file stays so until its text is handed over
};

struct RunOptions {
  unsigned threads = 0;  ///< 0 = hardware concurrency
  ingest::ParseOptions parse;
};

/// Reads every input; `make_sink(i)` creates thread i's sink. Output text is written to stdout in
/// input order. Returns the sinks for merging.
std::vector<std::unique_ptr<WorkerSink>> run_inputs(
    const std::vector<ingest::Input>& inputs, const RunOptions& options,
    const std::function<std::unique_ptr<WorkerSink>(unsigned)>& make_sink);

/// Writes a reject line to stderr: `sentinel: PATH:LINE (record N): reason: detail`, escaped.
std::string format_reject(const Reject& r);

}  // namespace sentinel::cli
