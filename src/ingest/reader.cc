#include "ingest/reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "ingest/parsers/cloudtrail/cloudtrail.h"
#include "ingest/parsers/guardduty/guardduty.h"
#include "ingest/parsers/route53/route53.h"
#include "ingest/parsers/vpcflow/vpcflow.h"
#include "ingest/route.h"

namespace sentinel::ingest {

namespace {

// Files at least this large are memory-mapped instead of read.
constexpr std::size_t kMmapThreshold = std::size_t{4} << 20;
// A mapped plain file's consumed prefix is dropped from RSS in steps of this size.
constexpr std::size_t kReleaseStep = std::size_t{8} << 20;

}  // namespace

// A read-only mapping of a whole file followed by at least kPadding zero bytes: the file is
// mapped over an anonymous reservation one page longer, so reading past its end is safe. Not in
// the anonymous namespace: Reader::Impl holds one (GCC's -Wsubobject-linkage warns otherwise
// when this file is part of a unity build).
class ReaderMappedFile {
 public:
  ~ReaderMappedFile() { reset(); }
  bool map(int fd, std::size_t size) {
    reset();
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t total = (size + page - 1) / page * page + page;
    void* base = mmap(nullptr, total, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return false;
    void* m = mmap(base, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    if (m == MAP_FAILED) {
      munmap(base, total);
      return false;
    }
    madvise(base, size, MADV_SEQUENTIAL);
    base_ = base;
    total_ = total;
    size_ = size;
    populate_upto(kReleaseStep);
    return true;
  }
  void reset() {
    if (base_ != nullptr) munmap(base_, total_);
    base_ = nullptr;
    released_ = 0;
    populated_ = 0;
  }
  std::string_view view() const { return {static_cast<const char*>(base_), size_}; }
  bool mapped() const { return base_ != nullptr; }

  /// Drops the pages wholly before byte `offset` from this process (they stay in the page
  /// cache). The mapping is private, read-only and file-backed, so a later read of a dropped
  /// page faults the same bytes back in from the file: releasing is never wrong, only slower
  /// if something reads behind the parser. Cheap to call per record: acts once per kStep.
  void release_before(uint64_t offset) {
    if (offset < released_ + kReleaseStep || base_ == nullptr) return;
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    std::size_t upto = static_cast<std::size_t>(offset < size_ ? offset : size_) / page * page;
    if (upto <= released_) return;
    madvise(static_cast<char*>(base_) + released_, upto - released_, MADV_DONTNEED);
    released_ = upto;
    populate_upto(upto + kReleaseStep);
  }

 private:
  // Maps the pages up to `end` in one call (MADV_POPULATE_READ, Linux 5.14+) instead of one
  // page fault per 64 KB as the parser reaches them; ignored where unsupported.
  void populate_upto(std::size_t end) {
    if (end > size_) end = size_;
    if (end <= populated_) return;
    madvise(static_cast<char*>(base_) + populated_, end - populated_, kMadvPopulateRead);
    populated_ = end;
  }
  static constexpr int kMadvPopulateRead = 22;

  void* base_ = nullptr;
  std::size_t total_ = 0;
  std::size_t size_ = 0;
  std::size_t released_ = 0;   // bytes at the start of the mapping already dropped
  std::size_t populated_ = 0;  // bytes at the start of the mapping already populated
};

namespace {

// Forwards every callback and, as the parser's position (the record's byte offset) moves on,
// drops the consumed prefix of the mapped file, so a plain file's pages do not pile up in RSS:
// peak RSS stays near kReleaseStep whatever the file size. Events are views into the mapping
// that are valid only during their callback (event.h); the current record lies after the
// released prefix, so they stay valid (and anything read behind it would fault back in).
class ReleasingSink final : public EventSink {
 public:
  ReleasingSink(EventSink& inner, ReaderMappedFile& map) : inner_(inner), map_(map) {}
  void on_cloudtrail(const CloudTrailEvent& e) override {
    map_.release_before(e.meta.ref.offset);
    inner_.on_cloudtrail(e);
  }
  void on_flow(const FlowRecord& f) override {
    map_.release_before(f.meta.ref.offset);
    inner_.on_flow(f);
  }
  void on_dns(const DnsQuery& q) override {
    map_.release_before(q.meta.ref.offset);
    inner_.on_dns(q);
  }
  void on_guardduty(const GuardDutyFinding& g) override {
    map_.release_before(g.meta.ref.offset);
    inner_.on_guardduty(g);
  }
  void on_digest(const DigestFile& d) override { inner_.on_digest(d); }
  void on_reject(const Reject& r) override {
    if (r.where.record >= 0) map_.release_before(r.where.offset);
    inner_.on_reject(r);
  }

 private:
  EventSink& inner_;
  ReaderMappedFile& map_;
};

}  // namespace

struct Reader::Impl {
  explicit Impl(const ParseOptions& o) : options(o) {}
  ParseOptions options;
  GzipDecoder gzip;
  PaddedBuffer raw;
  PaddedBuffer decoded[2];
  ReaderMappedFile mapped;
  CloudTrailParser cloudtrail;
  VpcFlowParser vpcflow;
  Route53Parser route53;
  GuardDutyParser guardduty;
  std::string detail;

  void file_reject(std::string_view path, RejectReason reason, std::string_view detail_text,
                   EventSink& sink) {
    sink.on_reject(Reject{SourceRef{path, -1, 0, 0}, reason, detail_text, 0});
  }

  /// `map`: the mapping `bytes` lives in, or nullptr when they are in a buffer.
  FileReport parse_bytes(std::string_view path, std::string_view bytes, EventSink& out_sink,
                         FileReport rep, ReaderMappedFile* map = nullptr) {
    EventSink* sink_ptr = &out_sink;
    rep.bytes_decoded = bytes.size();
    std::string_view data = bytes;
    // Unwrap gzip, and a gzip inside a gzip once more.
    int layers = 0;
    bool whole = true;
    for (int layer = 0; is_gzip(data); ++layer) {
      if (layer >= limits::kMaxGzipLayers) {
        file_reject(path, RejectReason::kBadGzip, "gzip nested more than twice", out_sink);
        return rep;
      }
      rep.gzip = true;
      PaddedBuffer& out = decoded[layer];
      GunzipResult g = gzip.decode(data, &out, options.max_decompressed);
      if (!g.ok) {
        file_reject(path, g.reason, g.detail, out_sink);
        if (!g.partial) return rep;
        whole = false;
      }
      data = out.view();
      rep.bytes_decoded = data.size();
      layers = layer + 1;
    }
    if (layers == 1 && whole && !data.empty()) out_sink.on_gzip_file(bytes, data);
    std::optional<ReleasingSink> releasing;
    if (map != nullptr && map->mapped()) {
      if (rep.gzip) {
        map->reset();  // everything is in the decoded buffer now
      } else {
        releasing.emplace(out_sink, *map);
        sink_ptr = &*releasing;
      }
    }
    EventSink& sink = *sink_ptr;
    if (data.empty()) {
      file_reject(path, RejectReason::kEmptyFile, "the file is empty", sink);
      return rep;
    }
    FileContext ctx;
    ctx.path = path;
    ctx.path_info = route_by_path(path);
    ctx.options = &options;
    LogType type = options.forced_type;
    if (type == LogType::kUnknown) type = ctx.path_info.type;
    if (type == LogType::kUnknown) type = sniff_content(data.substr(0, 8192));
    rep.type = type;
    switch (type) {
      case LogType::kCloudTrail:
        cloudtrail.parse(data, ctx, sink);
        break;
      case LogType::kVpcFlow:
        vpcflow.parse(data, ctx, sink);
        break;
      case LogType::kRoute53:
        route53.parse(data, ctx, sink);
        break;
      case LogType::kGuardDuty:
        guardduty.parse(data, ctx, sink);
        break;
      case LogType::kDigest:
        sink.on_digest(
            DigestFile{SourceRef{path, -1, 0, 0}, ctx.path_info.account, ctx.path_info.region});
        break;
      case LogType::kUnknown:
        file_reject(path, RejectReason::kUnknownFormat,
                    "neither the path nor the content says which AWS log this is "
                    "(use --type to say)",
                    sink);
        return rep;
    }
    rep.readable = true;
    return rep;
  }

  FileReport read(const std::string& path, EventSink& sink) {
    FileReport rep;
    if (path == "-") return read_stdin(sink);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      detail = std::string("cannot open: ") + std::strerror(errno);
      file_reject(path, RejectReason::kIoError, detail, sink);
      return rep;
    }
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      file_reject(path, RejectReason::kIoError, "not a regular file", sink);
      return rep;
    }
    auto size = static_cast<std::size_t>(st.st_size);
    rep.bytes_read = size;
    std::string_view bytes;
    if (size >= kMmapThreshold && mapped.map(fd, size)) {
      bytes = mapped.view();
    } else {
      raw.set_size(0);
      raw.reserve(size);
      std::size_t got = 0;
      while (got < size) {
        ssize_t r = ::read(fd, raw.data() + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += static_cast<std::size_t>(r);
      }
      if (got < size) {
        ::close(fd);
        detail = std::string("read failed: ") + std::strerror(errno);
        file_reject(path, RejectReason::kIoError, detail, sink);
        return rep;
      }
      raw.set_size(got);
      bytes = raw.view();
    }
    ::close(fd);
    rep = parse_bytes(path, bytes, sink, rep, &mapped);
    mapped.reset();
    return rep;
  }

  FileReport read_stdin(EventSink& sink) {
    FileReport rep;
    raw.set_size(0);
    std::size_t got = 0;
    while (true) {
      if (got >= options.max_decompressed) {
        file_reject("-", RejectReason::kDecompressedTooLarge,
                    "standard input is larger than the limit (--max-decompressed)", sink);
        return rep;
      }
      raw.reserve(got + (1 << 20));
      ssize_t r = ::read(0, raw.data() + got, raw.capacity() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        detail = std::string("read failed: ") + std::strerror(errno);
        file_reject("-", RejectReason::kIoError, detail, sink);
        return rep;
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    raw.set_size(got);
    rep.bytes_read = got;
    return parse_bytes("-", raw.view(), sink, rep);
  }
};

Reader::Reader(const ParseOptions& options) : impl_(std::make_unique<Impl>(options)) {}
Reader::~Reader() = default;

FileReport Reader::read(const std::string& path, EventSink& sink) {
  return impl_->read(path, sink);
}

FileReport Reader::read_bytes(std::string_view path, std::string_view bytes, EventSink& sink) {
  // Copy into a padded buffer: parsers rely on the padding.
  impl_->raw.set_size(bytes.size());
  std::memcpy(impl_->raw.data(), bytes.data(), bytes.size());
  impl_->raw.set_size(bytes.size());
  FileReport rep;
  rep.bytes_read = bytes.size();
  return impl_->parse_bytes(path, impl_->raw.view(), sink, rep);
}

}  // namespace sentinel::ingest
