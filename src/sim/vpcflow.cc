#include "sim/vpcflow.h"

#include <array>

#include "sim/files.h"

namespace sentinel::sim {

namespace {

void put_public_v4(std::string& out, Rng& rng) {
  // Public peers: a spread of first octets that avoids private, loopback and multicast space.
  static constexpr std::uint32_t kFirst[] = {3,  13, 18,  23,  34,  35,  45,  52,  54,  66,
                                             81, 91, 104, 142, 151, 157, 172, 185, 198, 205};
  std::uint32_t first = kFirst[rng.below(std::size(kFirst))];
  std::uint32_t second = static_cast<std::uint32_t>(rng.below(256));
  if (first == 172 && second >= 16 && second < 32) second += 16;  // stay outside 172.16/12
  append_ipv4(out, first << 24 | second << 16 | static_cast<std::uint32_t>(rng.below(1u << 16)));
}

void put_public_v6(std::string& out, Rng& rng) {
  // Four fixed groups, "::", then one or two random groups: always a valid IPv6 text form.
  static constexpr std::string_view kPrefixes[] = {
      "2a03:2880:f12c:83::", "2607:f8b0:4004:c1b::", "2001:4860:4802:32::", "2606:4700:3033::"};
  static constexpr char kHex[] = "0123456789abcdef";
  out += rng.pick(kPrefixes);
  const int groups = 1 + static_cast<int>(rng.below(2));
  for (int g = 0; g < groups; ++g) {
    if (g) out += ':';
    std::uint64_t v = rng.below(0xffff) + 1;
    char buf[4];
    int n = 0;
    while (v) {
      buf[n++] = kHex[v & 15];
      v >>= 4;
    }
    while (n) out += buf[--n];
  }
}

struct Service {
  std::uint16_t port;
  std::uint8_t proto;
};

}  // namespace

void FlowGenerator::append_line(std::string& out, std::size_t account, std::int64_t window_end) {
  Rng& rng = rng_;
  const Account& acct = world_.accounts[account];
  const Eni& eni = rng.pick(acct.enis);
  const std::int64_t end = window_end - static_cast<std::int64_t>(rng.range(1, 299));
  const std::int64_t start = end - static_cast<std::int64_t>(rng.range(0, 60));

  out += "2 ";
  out += acct.id;
  out += ' ';
  out += eni.id;
  out += ' ';

  const std::uint64_t shape = rng.below(1000);
  if (shape < 8) {  // no traffic in the interval
    out += "- - - - - - - ";
    put_num(out, static_cast<std::uint64_t>(start));
    out += ' ';
    put_num(out, static_cast<std::uint64_t>(end));
    out += shape < 1 ? " - SKIPDATA\n" : " - NODATA\n";
    return;
  }

  static constexpr Service kInbound[] = {{443, 6},  {443, 6},  {80, 6},  {22, 6},
                                         {3389, 6}, {8080, 6}, {53, 17}, {123, 17}};
  static constexpr Service kOutbound[] = {{443, 6}, {443, 6},  {443, 6}, {80, 6},
                                          {53, 17}, {123, 17}, {587, 6}};
  static constexpr Service kInternal[] = {{5432, 6}, {3306, 6}, {6379, 6}, {443, 6},
                                          {8080, 6}, {9092, 6}, {2049, 6}, {53, 17}};

  const bool v6 = eni.ipv6_suffix != 0 && rng.chance(500);
  std::string local;
  if (v6) {
    local = acct.ipv6_prefix;
    local += "::";
    static constexpr char kHex[] = "0123456789abcdef";
    for (int s = 12; s >= 0; s -= 4) {
      if ((eni.ipv6_suffix >> s) != 0 || s == 0) local += kHex[(eni.ipv6_suffix >> s) & 15];
    }
  } else {
    append_ipv4(local, eni.ipv4);
  }

  std::uint32_t proto;
  std::uint64_t sport;
  std::uint64_t dport;
  bool reject = false;
  std::uint64_t packets;
  if (shape < 40) {  // ICMP echo / unreachable
    proto = v6 ? 58 : 1;
    sport = 0;
    dport = 0;
    const bool in = rng.chance(500);
    std::string peer;
    if (v6)
      put_public_v6(peer, rng);
    else
      put_public_v4(peer, rng);
    out += in ? peer : local;
    out += ' ';
    out += in ? local : peer;
    reject = in && rng.chance(300);
    packets = rng.range(1, 10);
  } else if (shape < 140) {  // scanner probing a closed port: rejected
    proto = 6;
    if (v6) {
      put_public_v6(out, rng);
    } else {
      out += rng.pick(world_.hostile_ips);
    }
    out += ' ';
    out += local;
    sport = static_cast<std::uint64_t>(rng.range(1024, 65535));
    static constexpr std::uint16_t kProbe[] = {22, 23, 445, 3389, 1433, 6379, 9200, 5900, 8443};
    dport = rng.chance(300) ? static_cast<std::uint64_t>(rng.range(1, 65535)) : rng.pick(kProbe);
    reject = true;
    packets = rng.range(1, 3);
  } else {
    const std::uint64_t dir = rng.below(100);
    const Service* svc;
    std::string peer;
    bool inbound;
    if (dir < 30) {
      svc = &rng.pick(kInbound);
      inbound = true;
      if (v6)
        put_public_v6(peer, rng);
      else
        put_public_v4(peer, rng);
    } else if (dir < 65) {
      svc = &rng.pick(kOutbound);
      inbound = false;
      if (v6)
        put_public_v6(peer, rng);
      else
        put_public_v4(peer, rng);
    } else {
      svc = &rng.pick(kInternal);
      inbound = rng.chance(500);
      if (v6) {
        peer = acct.ipv6_prefix;
        peer += "::";
        put_num(peer, rng.below(9000) + 1000);
      } else {
        append_ipv4(peer, rng.pick(acct.enis).ipv4);
      }
    }
    proto = svc->proto;
    const std::uint64_t ephemeral = static_cast<std::uint64_t>(rng.range(32768, 60999));
    // The flow record for a connection's return leg swaps ports: half the records are replies.
    const bool reply = rng.chance(450);
    const bool local_is_src = inbound == reply;
    out += local_is_src ? local : peer;
    out += ' ';
    out += local_is_src ? peer : local;
    const bool server_is_src = reply;
    sport = server_is_src ? svc->port : ephemeral;
    dport = server_is_src ? ephemeral : svc->port;
    reject = inbound && !reply && svc->port == 22 && rng.chance(200);
    packets = static_cast<std::uint64_t>(rng.range(1, 40)) << rng.below(4);
  }
  out += ' ';
  put_num(out, sport);
  out += ' ';
  put_num(out, dport);
  out += ' ';
  put_num(out, proto);
  out += ' ';
  put_num(out, packets);
  out += ' ';
  put_num(out, packets * static_cast<std::uint64_t>(rng.range(40, 1500)));
  out += ' ';
  put_num(out, static_cast<std::uint64_t>(start));
  out += ' ';
  put_num(out, static_cast<std::uint64_t>(end));
  out += reject ? " REJECT OK\n" : " ACCEPT OK\n";
}

}  // namespace sentinel::sim
