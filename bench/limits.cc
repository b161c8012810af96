// sentinel-limits: single-threaded upper bounds for the whole-process comparison. Measures,
// on the same generated data, what the libraries Sentinel builds on can do with nothing else
// in the way: simdjson parsing an uncompressed CloudTrail file, libdeflate decompressing every
// .gz in a tree, and memchr splitting a flow-log file into lines. Prints one JSON object.
// Two bare programs go with them, for scale: decompressing the tree and walking each file's
// records with simdjson On-Demand (a reader that builds nothing), and summing bytes per source
// address of the flow file with no validation (the question answered and nothing else).
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

// Visits every record's top-level fields (nested values are skipped by the parser) and compares
// eventName, as a filter would.
void walk_records(simdjson::ondemand::parser& parser, const simdjson::padded_string_view json,
                  const std::string& filter, std::size_t* records, std::size_t* matches) {
  simdjson::ondemand::document doc;
  if (parser.iterate(json).get(doc)) fail("ondemand iterate failed");
  simdjson::ondemand::array arr;
  if (doc["Records"].get_array().get(arr)) fail("no Records array");
  for (auto rec : arr) {
    simdjson::ondemand::object obj;
    if (rec.get_object().get(obj)) fail("record is not an object");
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) fail("bad key");
      if (key == "eventName") {
        std::string_view v;
        if (field.value().get_string().get(v)) fail("bad eventName");
        if (v == filter) ++*matches;
      }
    }
    ++*records;
  }
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
    walk_records(parser, json, filter, &records, &matches);
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

// Decompresses every .gz under root; with walk, also walks each decompressed file's records with
// simdjson On-Demand inside the same timed stretch (a reader of the tree that builds nothing).
std::string measure_gunzip(const std::string& root, int reps, bool walk, const std::string& filter) {
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
  std::size_t records = 0;
  std::size_t matches = 0;
  simdjson::ondemand::parser parser;
  for (int r = 0; r < reps; ++r) {
    double total = 0;
    double total_wall = 0;
    in_bytes = out_bytes = 0;
    records = matches = 0;
    for (const auto& f : files) {
      if (!read_file(f, in) || in.size() < 18) fail("cannot read " + f.string());
      // ISIZE (last four bytes) is the decompressed size modulo 2^32: a good first guess.
      std::size_t guess = in[in.size() - 4] | in[in.size() - 3] << 8 | in[in.size() - 2] << 16 |
                          static_cast<std::size_t>(in[in.size() - 1]) << 24;
      if (guess < in.size()) guess = in.size() * 8;
      for (;;) {
        out.resize(guess + simdjson::SIMDJSON_PADDING);
        std::size_t actual = 0;
        const Stopwatch start;
        const auto rc = libdeflate_gzip_decompress(d, in.data(), in.size(), out.data(), guess,
                                                   &actual);
        if (walk && rc == LIBDEFLATE_SUCCESS) {
          const simdjson::padded_string_view view(reinterpret_cast<const char*>(out.data()),
                                                  actual, out.size());
          walk_records(parser, view, filter, &records, &matches);
        }
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
                "{\"files\": %zu, \"records\": %zu, \"in_bytes\": %llu, \"out_bytes\": %llu, "
                "\"seconds\": %.6f, "
                "\"out_mb_per_s\": %.1f, \"in_mb_per_s\": %.1f, \"runs\": %s, \"wall_seconds\": "
                "%.6f, \"wall_runs\": %s}",
                files.size(), records, static_cast<unsigned long long>(in_bytes),
                static_cast<unsigned long long>(out_bytes), s, out_bytes / s / 1e6,
                in_bytes / s / 1e6, runs_json(runs).c_str(), median(wall_runs),
                runs_json(wall_runs).c_str());
  return buf;
}

// The bare program of workload (5), bytes per source address: split lines with memchr, find the 4th and
// 10th space-separated fields, add the 10th's digits to the 4th's text in an open-addressing table.
// No validation of anything (a real reader checks all 14 fields), no output.
struct FlowSumSlot {
  const char* key = nullptr;
  std::uint32_t len = 0;
  std::uint32_t hash = 0;
  std::uint64_t bytes = 0;
};

// The text's first 16 bytes (an IPv4 address whole, an IPv6 address mostly) in two 8-byte loads,
// the rest byte by byte. Reading past the field stays inside the line when the line goes on.
std::uint32_t hash_text(const char* p, std::size_t n, const char* limit) {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::size_t i = 0;
  if (p + 16 <= limit) {
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    const std::size_t na = std::min<std::size_t>(n, 8);
    const std::size_t nb = n > 8 ? std::min<std::size_t>(n - 8, 8) : 0;
    a &= na == 8 ? ~0ull : (1ull << (8 * na)) - 1;
    b &= nb == 8 ? ~0ull : nb == 0 ? 0 : (1ull << (8 * nb)) - 1;
    i = std::min<std::size_t>(n, 16);
  }
  std::uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full) ^ n;
  for (; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 0x100000001B3ull;
  h ^= h >> 29;
  return static_cast<std::uint32_t>(h * 0xBF58476D1CE4E5B9ull >> 32);
}

std::size_t flow_sum(const char* data, std::size_t size, std::vector<FlowSumSlot>& table) {
  std::fill(table.begin(), table.end(), FlowSumSlot{});
  std::size_t used = 0;
  const char* p = data;
  const char* end = data + size;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    const char* line_end = nl ? nl : end;
    const char* field[10];
    const char* field_end[10];
    int n = 0;
    const char* f = p;
    for (const char* q = p; q < line_end && n < 10; ++q) {
      if (*q == ' ') {
        field[n] = f;
        field_end[n++] = q;
        f = q + 1;
      }
    }
    if (n < 10 && f <= line_end) {
      field[n] = f;
      field_end[n++] = line_end;
    }
    p = line_end + 1;
    if (n < 10 || *field[9] < '0' || *field[9] > '9') continue;  // header, or bytes "-"
    std::uint64_t bytes = 0;
    for (const char* q = field[9]; q < field_end[9]; ++q) bytes = bytes * 10 + (*q - '0');
    const std::size_t len = static_cast<std::size_t>(field_end[3] - field[3]);
    const std::uint32_t h = hash_text(field[3], len, line_end);
    if (2 * (used + 1) > table.size()) {  // grow at half full
      std::vector<FlowSumSlot> bigger(table.size() * 2);
      for (const auto& e : table) {
        if (!e.key) continue;
        std::size_t i = e.hash & (bigger.size() - 1);
        while (bigger[i].key) i = (i + 1) & (bigger.size() - 1);
        bigger[i] = e;
      }
      table.swap(bigger);
    }
    std::size_t i = h & (table.size() - 1);
    while (table[i].key && !(table[i].hash == h && table[i].len == len &&
                             std::memcmp(table[i].key, field[3], len) == 0)) {
      i = (i + 1) & (table.size() - 1);
    }
    if (!table[i].key) {
      table[i] = FlowSumSlot{field[3], static_cast<std::uint32_t>(len), h, 0};
      ++used;
    }
    table[i].bytes += bytes;
  }
  return used;
}

// Counts the lines (a last line without a newline included) and fails if all are empty; taking
// each line's length keeps the loop a split, not a bare count of newlines.
std::size_t split_lines(const char* data, std::size_t size) {
  std::size_t lines = 0;
  std::size_t longest = 0;
  const char* p = data;
  const char* end = data + size;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    const char* line_end = nl ? nl : end;
    longest = std::max<std::size_t>(longest, line_end - p);
    ++lines;
    p = line_end + 1;
  }
  if (longest == 0) fail("empty lines only");
  return lines;
}

std::string measure_lines(const std::string& path, int reps, bool sum) {
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
  std::size_t groups = 0;
  std::vector<FlowSumSlot> table(1 << 12);
  for (int r = 0; r < reps + 1; ++r) {
    const Stopwatch start;
    if (sum) {
      groups = flow_sum(data, size, table);
    } else {
      lines = split_lines(data, size);
    }
    const double t = start.cpu_seconds();
    const double tw = start.wall_seconds();
    if (r > 0) {
      runs.push_back(t);
      wall_runs.push_back(tw);
    }
  }
  if (sum) lines = split_lines(data, size);  // for the report, untimed
  ::munmap(map, size);
  const double s = median(runs);
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "{\"bytes\": %zu, \"lines\": %zu, \"groups\": %zu, \"seconds\": %.6f, "
                "\"lines_per_s\": %.0f, "
                "\"mb_per_s\": %.1f, \"runs\": %s, \"wall_seconds\": %.6f, \"wall_runs\": %s}",
                size, lines, groups, s, lines / s, size / s / 1e6, runs_json(runs).c_str(),
                median(wall_runs), runs_json(wall_runs).c_str());
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Single-threaded library limits on Sentinel benchmark data (prints JSON)"};
  std::string ct_json, gz_tree, flow_file, filter = "ConsoleLogin";
  std::string ct_mode = "both";
  std::string gz_mode = "gunzip";
  std::string flow_mode = "split";
  int reps = 3;
  app.add_option("--ct-json", ct_json, "uncompressed CloudTrail {\"Records\":[...]} file");
  app.add_option("--gz-tree", gz_tree, "directory tree of .gz files to decompress");
  app.add_option("--flow-file", flow_file, "uncompressed flow-log file to split into lines");
  app.add_option("--ct-mode", ct_mode, "which CloudTrail pass: dom, ondemand or both")
      ->check(CLI::IsMember({"dom", "ondemand", "both"}))
      ->capture_default_str();
  app.add_option("--gz-mode", gz_mode,
                 "gunzip alone, or walk: gunzip and walk every file with simdjson On-Demand")
      ->check(CLI::IsMember({"gunzip", "walk", "both"}))
      ->capture_default_str();
  app.add_option("--flow-mode", flow_mode,
                 "split: memchr line split; sum: bytes per source address, no validation")
      ->check(CLI::IsMember({"split", "sum", "both"}))
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
  if (!gz_tree.empty() && gz_mode != "walk") {
    out += ",\n  \"gunzip\": " + measure_gunzip(gz_tree, reps, false, filter);
  }
  if (!gz_tree.empty() && gz_mode != "gunzip") {
    out += ",\n  \"gunzip_walk\": " + measure_gunzip(gz_tree, reps, true, filter);
  }
  if (!flow_file.empty() && flow_mode != "sum") {
    out += ",\n  \"line_split\": " + measure_lines(flow_file, reps, false);
  }
  if (!flow_file.empty() && flow_mode != "split") {
    out += ",\n  \"flow_sum\": " + measure_lines(flow_file, reps, true);
  }
  out += "\n}\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}
