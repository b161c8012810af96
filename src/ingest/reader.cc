#include "ingest/reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

// A read-only mapping of a whole file followed by at least kPadding zero bytes: the file is
// mapped over an anonymous reservation one page longer, so reading past its end is safe.
class MappedFile {
 public:
  ~MappedFile() { reset(); }
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
    return true;
  }
  void reset() {
    if (base_ != nullptr) munmap(base_, total_);
    base_ = nullptr;
  }
  std::string_view view() const { return {static_cast<const char*>(base_), size_}; }

 private:
  void* base_ = nullptr;
  std::size_t total_ = 0;
  std::size_t size_ = 0;
};

}  // namespace

struct Reader::Impl {
  explicit Impl(const ParseOptions& o) : options(o) {}
  ParseOptions options;
  GzipDecoder gzip;
  PaddedBuffer raw;
  PaddedBuffer decoded[2];
  MappedFile mapped;
  CloudTrailParser cloudtrail;
  VpcFlowParser vpcflow;
  Route53Parser route53;
  GuardDutyParser guardduty;
  std::string detail;

  void file_reject(std::string_view path, RejectReason reason, std::string_view detail_text,
                   EventSink& sink) {
    sink.on_reject(Reject{SourceRef{path, -1, 0, 0}, reason, detail_text, 0});
  }

  FileReport parse_bytes(std::string_view path, std::string_view bytes, EventSink& sink,
                         FileReport rep) {
    rep.bytes_decoded = bytes.size();
    std::string_view data = bytes;
    // Unwrap gzip, and a gzip inside a gzip once more.
    for (int layer = 0; is_gzip(data); ++layer) {
      if (layer >= limits::kMaxGzipLayers) {
        file_reject(path, RejectReason::kBadGzip, "gzip nested more than twice", sink);
        return rep;
      }
      rep.gzip = true;
      PaddedBuffer& out = decoded[layer];
      GunzipResult g = gzip.decode(data, &out, options.max_decompressed);
      if (!g.ok) {
        file_reject(path, g.reason, g.detail, sink);
        if (!g.partial) return rep;
      }
      data = out.view();
      rep.bytes_decoded = data.size();
    }
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
    rep = parse_bytes(path, bytes, sink, rep);
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
