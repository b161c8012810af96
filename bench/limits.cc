// sentinel-limits: single-threaded upper bounds for the whole-process comparison. Measures,
// on the same generated data, what the libraries Sentinel builds on can do with nothing else
// in the way: simdjson parsing an uncompressed CloudTrail file, libdeflate decompressing every
// .gz in a tree, and memchr splitting a flow-log file into lines. Prints one JSON object.
// "seconds" is the median over the repetitions of the timed stretch's thread CPU time ("runs"
// each); "wall_seconds" / "wall_runs" are the same stretches by the wall clock.
#include <fcntl.h>
#include <libdeflate.h>
#include <simdjson.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of the calling thread. The passes below are single-threaded and CPU-bound, so on an
// idle machine this equals their wall time; on a shared one the wall time also holds every
// moment the thread waited for a core (it read 0.19-0.25 s against 0.06 s for the same DOM
// parse at load 15), while the CPU time, like the user + sys of the whole processes it is
// compared with, does not.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One timed stretch: wall and thread CPU seconds, read together.
struct Stopwatch {
  Clock::time_point wall = Clock::now();
  double cpu = thread_cpu_seconds();
  double wall_seconds() const { return seconds_since(wall); }
  double cpu_seconds() const { return thread_cpu_seconds() - cpu; }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string runs_json(const std::vector<double>& runs) {
  std::string s = "[";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.6f", i ? ", " : "", runs[i]);
    s += buf;
  }
  return s + "]";
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "sentinel-limits: %s\n", what.c_str());
  std::exit(1);
}

std::string measure_dom(const std::string& path, int reps) {
  simdjson::padded_string json;
  if (simdjson::padded_string::load(path).get(json)) fail("cannot read " + path);
  simdjson::dom::parser parser;
  std::vector<double> runs;       // thread CPU seconds per rep
  std::vector<double> wall_runs;  // wall seconds per rep
  std::size_t records = 0;
  for (int r = 0; r < reps + 1; ++r) {  // first pass allocates and warms; not counted
    const Stopwatch start;
    simdjson::dom::element doc;
    if (auto err = parser.parse(json).get(doc))
      fail(std::string("dom parse: ") + simdjson::error_message(err));
    const double t = start.cpu_seconds();
    const double tw = start.wall_seconds();
    simdjson::dom::array records_array;
    if (doc["Records"].get_array().get(records_array)) fail("no Records array in " + path);
    records = records_array.size();
    if (r > 0) {
      runs.push_back(t);
      wall_runs.push_back(tw);
    }
  }
  const double s = median(runs);
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "{\"bytes\": %zu, \"records\": %zu, \"seconds\": %.6f, \"mb_per_s\": %.1f, "
                "\"events_per_s\": %.0f, \"runs\": %s, \"wall_seconds\": %.6f, \"wall_runs\": %s}",
                json.size(), records, s, json.size() / s / 1e6, records / s,
                runs_json(runs).c_str(), median(wall_runs), runs_json(wall_runs).c_str());
  return buf;
}

std::string measure_ondemand(const std::string& path, const std::string& filter, int reps) {
  simdjson::padded_string json;
  if (simdjson::padded_string::load(path).get(json)) fail("cannot read " + path);
  simdjson::ondemand::parser parser(std::max<std::size_t>(json.size(), 1 << 20));
  std::vector<double> runs;       // thread CPU seconds per rep
  std::vector<double> wall_runs;  // wall seconds per rep
  std::size_t records = 0;
  std::size_t matches = 0;
  for (int r = 0; r < reps + 1; ++r) {
    records = 0;
    matches = 0;
    const Stopwatch start;
    simdjson::ondemand::document doc;
    if (parser.iterate(json).get(doc)) fail("ondemand iterate failed");
    simdjson::ondemand::array arr;
    if (doc["Records"].get_array().get(arr)) fail("no Records array in " + path);
    for (auto rec : arr) {
      simdjson::ondemand::object obj;
      if (rec.get_object().get(obj)) fail("record is not an object");
      // Visit every top-level field (nested values are skipped by the parser) and compare
      // eventName, as a filter would.
      for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key)) fail("bad key");
        if (key == "eventName") {
          std::string_view v;
          if (field.value().get_string().get(v)) fail("bad eventName");
          if (v == filter) ++matches;
        }
      }
      ++records;
    }
    const double t = start.cpu_seconds();
    const double tw = start.wall_seconds();
    if (r > 0) {
      runs.push_back(t);
      wall_runs.push_back(tw);
    }
  }
  const double s = median(runs);
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "{\"bytes\": %zu, \"records\": %zu, \"matches\": %zu, \"seconds\": %.6f, "
                "\"mb_per_s\": %.1f, \"events_per_s\": %.0f, \"runs\": %s, \"wall_seconds\": %.6f, "
                "\"wall_runs\": %s}",
                json.size(), records, matches, s, json.size() / s / 1e6, records / s,
                runs_json(runs).c_str(), median(wall_runs), runs_json(wall_runs).c_str());
  return buf;
}

bool read_file(const std::filesystem::path& path, std::vector<unsigned char>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  in.seekg(0, std::ios::end);
  out.resize(static_cast<std::size_t>(in.tellg()));
  in.seekg(0);
  return static_cast<bool>(in.read(reinterpret_cast<char*>(out.data()), out.size()));
}

std::string measure_gunzip(const std::string& root, int reps) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == ".gz") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) fail("no .gz files under " + root);
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::vector<unsigned char> in;
  std::vector<unsigned char> out;
  std::vector<double> runs;       // thread CPU seconds per rep
  std::vector<double> wall_runs;  // wall seconds per rep
  std::uint64_t in_bytes = 0;
  std::uint64_t out_bytes = 0;
  for (int r = 0; r < reps; ++r) {
    double total = 0;
    double total_wall = 0;
    in_bytes = out_bytes = 0;
    for (const auto& f : files) {
      if (!read_file(f, in) || in.size() < 18) fail("cannot read " + f.string());
      // ISIZE (last four bytes) is the decompressed size modulo 2^32: a good first guess.
      std::size_t guess = in[in.size() - 4] | in[in.size() - 3] << 8 | in[in.size() - 2] << 16 |
                          static_cast<std::size_t>(in[in.size() - 1]) << 24;
      if (guess < in.size()) guess = in.size() * 8;
      for (;;) {
        out.resize(guess);
        std::size_t actual = 0;
        const Stopwatch start;
        const auto rc =
            libdeflate_gzip_decompress(d, in.data(), in.size(), out.data(), out.size(), &actual);
        total += start.cpu_seconds();
        total_wall += start.wall_seconds();
        if (rc == LIBDEFLATE_INSUFFICIENT_SPACE) {
          guess *= 2;
          continue;
        }
        if (rc != LIBDEFLATE_SUCCESS) fail("bad gzip " + f.string());
        out_bytes += actual;
        break;
      }
      in_bytes += in.size();
    }
    runs.push_back(total);
    wall_runs.push_back(total_wall);
  }
  libdeflate_free_decompressor(d);
  const double s = median(runs);
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "{\"files\": %zu, \"in_bytes\": %llu, \"out_bytes\": %llu, \"seconds\": %.6f, "
                "\"out_mb_per_s\": %.1f, \"in_mb_per_s\": %.1f, \"runs\": %s, \"wall_seconds\": "
                "%.6f, \"wall_runs\": %s}",
                files.size(), static_cast<unsigned long long>(in_bytes),
                static_cast<unsigned long long>(out_bytes), s, out_bytes / s / 1e6,
                in_bytes / s / 1e6, runs_json(runs).c_str(), median(wall_runs),
                runs_json(wall_runs).c_str());
  return buf;
}

std::string measure_lines(const std::string& path, int reps) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("cannot open " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) fail("cannot stat " + path);
  const std::size_t size = static_cast<std::size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (map == MAP_FAILED) fail("cannot map " + path);
  ::close(fd);
  const char* data = static_cast<const char*>(map);
  std::vector<double> runs;       // thread CPU seconds per rep
  std::vector<double> wall_runs;  // wall seconds per rep
  std::size_t lines = 0;
  for (int r = 0; r < reps + 1; ++r) {
    lines = 0;
    std::size_t longest = 0;
    const Stopwatch start;
    const char* p = data;
    const char* end = data + size;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
      const char* line_end = nl ? nl : end;
      longest = std::max<std::size_t>(longest, line_end - p);
      ++lines;
      p = line_end + 1;
    }
    const double t = start.cpu_seconds();
    const double tw = start.wall_seconds();
    if (longest == 0) fail("empty lines only");
    if (r > 0) {
      runs.push_back(t);
      wall_runs.push_back(tw);
    }
  }
  ::munmap(map, size);
  const double s = median(runs);
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "{\"bytes\": %zu, \"lines\": %zu, \"seconds\": %.6f, \"lines_per_s\": %.0f, "
                "\"mb_per_s\": %.1f, \"runs\": %s, \"wall_seconds\": %.6f, \"wall_runs\": %s}",
                size, lines, s, lines / s, size / s / 1e6, runs_json(runs).c_str(),
                median(wall_runs), runs_json(wall_runs).c_str());
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Single-threaded library limits on Sentinel benchmark data (prints JSON)"};
  std::string ct_json, gz_tree, flow_file, filter = "ConsoleLogin";
  std::string ct_mode = "both";
  int reps = 3;
  app.add_option("--ct-json", ct_json, "uncompressed CloudTrail {\"Records\":[...]} file");
  app.add_option("--gz-tree", gz_tree, "directory tree of .gz files to decompress");
  app.add_option("--flow-file", flow_file, "uncompressed flow-log file to split into lines");
  app.add_option("--ct-mode", ct_mode, "which CloudTrail pass: dom, ondemand or both")
      ->check(CLI::IsMember({"dom", "ondemand", "both"}))
      ->capture_default_str();
  app.add_option("--filter", filter, "eventName the on-demand pass compares")
      ->capture_default_str();
  app.add_option("--reps", reps, "timed repetitions (median reported)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::string out = "{\n  \"simdjson_implementation\": \"";
  out += simdjson::get_active_implementation()->name();
  out += "\",\n  \"reps\": " + std::to_string(reps);
  if (!ct_json.empty()) {
    if (ct_mode != "ondemand") out += ",\n  \"cloudtrail_dom\": " + measure_dom(ct_json, reps);
    if (ct_mode != "dom") {
      out += ",\n  \"cloudtrail_ondemand\": " + measure_ondemand(ct_json, filter, reps);
    }
  }
  if (!gz_tree.empty()) out += ",\n  \"gunzip\": " + measure_gunzip(gz_tree, reps);
  if (!flow_file.empty()) out += ",\n  \"line_split\": " + measure_lines(flow_file, reps);
  out += "\n}\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}
