// Builds and attaches the device program of device_program.h. The program is
// a list of comparisons over the three fields of struct bpf_cgroup_dev_ctx,
// one block per rule: the first rule that matches allows (1), and falling off
// the end refuses (0). It calls no helper, so the verifier has little to do.
#include "broker/device_program.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "common/unique_fd.h"

namespace zviz::broker {
namespace {

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn insn{};
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.off = off;
  insn.imm = imm;
  return insn;
}

bpf_insn LoadWord(uint8_t dst, int16_t offset) { return Insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, offset, 0); }
bpf_insn MoveReg(uint8_t dst, uint8_t src) { return Insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn AluImm(uint8_t op, uint8_t dst, int32_t imm) { return Insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm); }
bpf_insn JumpNotEqual(uint8_t reg, int32_t imm) { return Insn(BPF_JMP | BPF_JNE | BPF_K, reg, 0, 0, imm); }
bpf_insn Return(int32_t value) { return Insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, value); }
bpf_insn Exit() { return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

constexpr unsigned kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

// Registers the program keeps the request in.
constexpr uint8_t kType = BPF_REG_2;    // BPF_DEVCG_DEV_BLOCK or _CHAR
constexpr uint8_t kAccess = BPF_REG_3;  // BPF_DEVCG_ACC_* bits
constexpr uint8_t kMajor = BPF_REG_4;
constexpr uint8_t kMinor = BPF_REG_5;
constexpr uint8_t kScratch = BPF_REG_6;

std::vector<bpf_insn> Program(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> out = {
      LoadWord(kType, offsetof(bpf_cgroup_dev_ctx, access_type)),
      MoveReg(kAccess, kType),
      AluImm(BPF_AND, kType, 0xffff),
      AluImm(BPF_RSH, kAccess, 16),
      LoadWord(kMajor, offsetof(bpf_cgroup_dev_ctx, major)),
      LoadWord(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (const DeviceRule& rule : rules) {
    std::vector<bpf_insn> block;
    std::vector<size_t> jumps;  // indexes in `block` of the jumps to the next rule
    if (rule.type != 'a') {
      jumps.push_back(block.size());
      block.push_back(JumpNotEqual(kType, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    }
    if (rule.major >= 0) {
      jumps.push_back(block.size());
      block.push_back(JumpNotEqual(kMajor, static_cast<int32_t>(rule.major)));
    }
    if (rule.minor >= 0) {
      jumps.push_back(block.size());
      block.push_back(JumpNotEqual(kMinor, static_cast<int32_t>(rule.minor)));
    }
    if ((rule.access & kAllAccess) != kAllAccess) {
      // Refused unless every access asked for is among the rule's.
      block.push_back(MoveReg(kScratch, kAccess));
      block.push_back(AluImm(BPF_AND, kScratch, static_cast<int32_t>(~rule.access & kAllAccess)));
      jumps.push_back(block.size());
      block.push_back(JumpNotEqual(kScratch, 0));
    }
    block.push_back(Return(1));
    block.push_back(Exit());
    for (size_t at : jumps) {
      block[at].off = static_cast<int16_t>(block.size() - at - 1);
    }
    out.insert(out.end(), block.begin(), block.end());
  }
  out.push_back(Return(0));
  out.push_back(Exit());
  return out;
}

long Bpf(int cmd, union bpf_attr* attr) { return syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

bool ParseNumber(const std::string& text, long* out) {
  if (text == "*") {
    *out = -1;
    return true;
  }
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *out = std::stol(text);
  return true;
}

}  // namespace

bool ParseDeviceRule(const std::string& text, DeviceRule* out, std::string* why) {
  // TYPE MAJOR:MINOR ACCESS
  const size_t first = text.find(' ');
  const size_t second = first == std::string::npos ? first : text.find(' ', first + 1);
  const size_t colon = first == std::string::npos ? first : text.find(':', first + 1);
  if (first != 1 || second == std::string::npos || colon == std::string::npos || colon > second) {
    *why = "not TYPE MAJOR:MINOR ACCESS: " + text;
    return false;
  }
  DeviceRule rule;
  rule.type = text[0];
  if (rule.type != 'c' && rule.type != 'b' && rule.type != 'a') {
    *why = "type is not c, b or a: " + text;
    return false;
  }
  if (!ParseNumber(text.substr(first + 1, colon - first - 1), &rule.major) ||
      !ParseNumber(text.substr(colon + 1, second - colon - 1), &rule.minor)) {
    *why = "major and minor must be numbers or *: " + text;
    return false;
  }
  const std::string access = text.substr(second + 1);
  if (access.empty()) {
    *why = "no access: " + text;
    return false;
  }
  for (char c : access) {
    if (c == 'r') {
      rule.access |= BPF_DEVCG_ACC_READ;
    } else if (c == 'w') {
      rule.access |= BPF_DEVCG_ACC_WRITE;
    } else if (c == 'm') {
      rule.access |= BPF_DEVCG_ACC_MKNOD;
    } else {
      *why = "access is not made of r, w and m: " + text;
      return false;
    }
  }
  *out = rule;
  return true;
}

namespace {

/**
 * Loads the program allowing `rules`: the verifier's log only when a first
 * load without one failed (a log of every load made each load slower).
 */
std::string LoadProgram(const std::vector<DeviceRule>& rules, UniqueFd* out) {
  const std::vector<bpf_insn> program = Program(rules);
  static const char kLicense[] = "Apache-2.0";
  char log[4096] = "";
  for (const uint32_t log_level : {0u, 1u}) {
    union bpf_attr load;
    memset(&load, 0, sizeof(load));
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = reinterpret_cast<uint64_t>(program.data());
    load.insn_cnt = static_cast<uint32_t>(program.size());
    load.license = reinterpret_cast<uint64_t>(kLicense);
    if (log_level != 0) {
      load.log_buf = reinterpret_cast<uint64_t>(log);
      load.log_size = sizeof(log);
      load.log_level = log_level;
    }
    out->reset(static_cast<int>(Bpf(BPF_PROG_LOAD, &load)));
    if (*out) {
      return {};
    }
  }
  return std::string("loading the device program: ") + strerror(errno) + (log[0] ? std::string(": ") + log : "");
}

/**
 * Programs already loaded, by their rules: every container has the same
 * device list (agent/src/cgroups/devices.ts), and loading it again for each
 * (the verifier's work) was a millisecond or two of the agent's main thread
 * per start (docs/benchmarks.md). One program attached to many cgroups is
 * what the kernel expects; each attachment holds it. Never more than a few
 * lists: past kKeptPrograms the kept ones are closed (their attachments stay).
 */
constexpr size_t kKeptPrograms = 16;
std::mutex kept_mu;
std::map<std::string, UniqueFd>& Kept() {
  static auto* kept = new std::map<std::string, UniqueFd>();  // never destroyed: see spawn_thread.cc
  return *kept;
}

std::string RulesKey(const std::vector<DeviceRule>& rules) {
  std::string key;
  for (const DeviceRule& r : rules) {
    key += std::string(1, r.type) + ' ' + std::to_string(r.major) + ':' + std::to_string(r.minor) + ' ' +
           std::to_string(r.access) + ';';
  }
  return key;
}

}  // namespace

std::string AttachDeviceProgram(const std::string& dir, const std::vector<DeviceRule>& rules) {
  std::lock_guard<std::mutex> lock(kept_mu);
  const std::string key = RulesKey(rules);
  auto found = Kept().find(key);
  if (found == Kept().end()) {
    UniqueFd prog;
    if (auto e = LoadProgram(rules, &prog); !e.empty()) {
      return e;
    }
    if (Kept().size() >= kKeptPrograms) {
      Kept().clear();
    }
    found = Kept().emplace(key, std::move(prog)).first;
  }
  const UniqueFd& prog = found->second;
  UniqueFd cgroup(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup) {
    return "opening " + dir + ": " + strerror(errno);
  }
  union bpf_attr attach;
  memset(&attach, 0, sizeof(attach));
  attach.target_fd = static_cast<uint32_t>(cgroup.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &attach) != 0) {
    return "attaching the device program to " + dir + ": " + strerror(errno);
  }
  return {};  // the attachment holds the program; it goes with the cgroup
}

Napi::Value AttachDeviceProgramJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsArray()) {
    Napi::TypeError::New(env, "attachDeviceProgram(cgroupDir, rules)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array list = info[1].As<Napi::Array>();
  std::vector<DeviceRule> rules;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    DeviceRule rule;
    std::string why;
    if (!list.Get(i).IsString() || !ParseDeviceRule(list.Get(i).As<Napi::String>().Utf8Value(), &rule, &why)) {
      Napi::Error::New(env, why.empty() ? "device rules must be strings" : why).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    rules.push_back(rule);
  }
  const std::string error = AttachDeviceProgram(info[0].As<Napi::String>().Utf8Value(), rules);
  if (!error.empty()) {
    Napi::Error::New(env, error).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace zviz::broker
