#include "broker/plan.h"

#include <arpa/inet.h>
#include <seccomp.h>

#include <cerrno>
#include <cstdlib>

#include "broker/syscall_table.h"

namespace zviz::broker {
namespace {

std::string ReadString(const Napi::Object& o, const char* key, std::string* out) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) {
    return std::string(key) + " must be a string";
  }
  *out = v.As<Napi::String>().Utf8Value();
  return {};
}

std::string ReadInt(const Napi::Object& o, const char* key, int64_t* out) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) {
    return std::string(key) + " must be a number";
  }
  *out = v.As<Napi::Number>().Int64Value();
  return {};
}

std::string ReadAction(const Napi::Value& value, uint32_t* out) {
  if (!value.IsObject()) {
    return "action must be an object";
  }
  Napi::Object o = value.As<Napi::Object>();
  std::string type;
  if (auto e = ReadString(o, "type", &type); !e.empty()) return e;
  int64_t data = 0;
  if (o.Has("errno")) {
    if (auto e = ReadInt(o, "errno", &data); !e.empty()) return e;
    if (data < 0 || data > 4095) return "errno out of range";
  }
  if (type == "allow") *out = SCMP_ACT_ALLOW;
  else if (type == "errno") *out = SCMP_ACT_ERRNO(static_cast<uint16_t>(data));
  else if (type == "kill_process") *out = SCMP_ACT_KILL_PROCESS;
  else if (type == "kill_thread") *out = SCMP_ACT_KILL_THREAD;
  else if (type == "trap") *out = SCMP_ACT_TRAP;
  else if (type == "log") *out = SCMP_ACT_LOG;
  else if (type == "notify") *out = SCMP_ACT_NOTIFY;
  else return "unknown action type " + type;
  return {};
}

int CompareOp(const std::string& op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return -1;
}

std::string ReadDecision(const std::string& text, Decision* out) {
  if (text == "allow") *out = Decision::kAllow;
  else if (text == "log") *out = Decision::kLog;
  else if (text == "deny") *out = Decision::kDeny;
  else if (text == "kill") *out = Decision::kKill;
  else return "unknown decision " + text;
  return {};
}

std::string ReadStrings(const Napi::Object& o, const char* key, std::vector<std::string>* out) {
  if (!o.Has(key)) return {};
  Napi::Value v = o.Get(key);
  if (!v.IsArray()) return std::string(key) + " must be an array";
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value item = a.Get(i);
    if (!item.IsString()) return std::string(key) + " must hold strings";
    out->push_back(item.As<Napi::String>().Utf8Value());
  }
  return {};
}

}  // namespace

std::string ReadU64(const Napi::Value& value, uint64_t* out) {
  if (value.IsBigInt()) {
    bool lossless = false;
    *out = value.As<Napi::BigInt>().Uint64Value(&lossless);
    return lossless ? std::string() : "value out of the 64-bit range";
  }
  if (value.IsNumber()) {
    double d = value.As<Napi::Number>().DoubleValue();
    if (d < 0 || d > 9007199254740991.0 || d != static_cast<double>(static_cast<uint64_t>(d))) {
      return "value must be a non-negative integer below 2^53 (use a string or bigint above)";
    }
    *out = static_cast<uint64_t>(d);
    return {};
  }
  if (value.IsString()) {
    std::string s = value.As<Napi::String>().Utf8Value();
    if (s.empty()) return "empty number";
    errno = 0;
    char* end = nullptr;
    *out = std::strtoull(s.c_str(), &end, 0);
    if (errno != 0 || end == nullptr || *end != '\0' || s[0] == '-') return "invalid number " + s;
    return {};
  }
  return "value must be a number, bigint or decimal string";
}

std::string ReadFilterPlan(const Napi::Object& js, FilterPlan* out) {
  if (auto e = ReadAction(js.Get("defaultAction"), &out->default_action); !e.empty()) return "defaultAction: " + e;
  if (auto e = ReadStrings(js, "architectures", &out->architectures); !e.empty()) return e;
  out->audit = js.Get("audit").ToBoolean().Value();
  Napi::Value rules = js.Get("rules");
  if (!rules.IsArray()) return "rules must be an array";
  Napi::Array list = rules.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value item = list.Get(i);
    if (!item.IsObject()) return "rules must hold objects";
    Napi::Object r = item.As<Napi::Object>();
    SeccompRule rule;
    if (auto e = ReadString(r, "syscall", &rule.syscall); !e.empty()) return e;
    if (r.Has("pointer")) ReadString(r, "pointer", &rule.pointer);
    if (auto e = ReadAction(r.Get("action"), &rule.action); !e.empty()) return rule.pointer + ": " + e;
    if (r.Has("args")) {
      Napi::Value args = r.Get("args");
      if (!args.IsArray()) return rule.pointer + ": args must be an array";
      Napi::Array a = args.As<Napi::Array>();
      for (uint32_t j = 0; j < a.Length(); ++j) {
        Napi::Value arg = a.Get(j);
        if (!arg.IsObject()) return rule.pointer + ": args must hold objects";
        Napi::Object ao = arg.As<Napi::Object>();
        ArgComparison cmp;
        int64_t index = 0;
        if (auto e = ReadInt(ao, "index", &index); !e.empty()) return rule.pointer + ": " + e;
        if (index < 0 || index > 5) return rule.pointer + ": argument index out of range";
        cmp.index = static_cast<unsigned>(index);
        std::string op;
        if (auto e = ReadString(ao, "op", &op); !e.empty()) return rule.pointer + ": " + e;
        cmp.op = CompareOp(op);
        if (cmp.op < 0) return rule.pointer + ": unknown comparison " + op;
        if (auto e = ReadU64(ao.Get("value"), &cmp.value); !e.empty()) return rule.pointer + ": value: " + e;
        if (ao.Has("valueTwo")) {
          if (auto e = ReadU64(ao.Get("valueTwo"), &cmp.value_two); !e.empty()) return rule.pointer + ": valueTwo: " + e;
        }
        rule.args.push_back(cmp);
      }
    }
    out->rules.push_back(std::move(rule));
  }
  return {};
}

std::string ReadPolicy(const Napi::Object& js, std::shared_ptr<const Policy>* out) {
  const SyscallTable& table = SyscallTable::Get();
  std::vector<Rule> rules;
  Napi::Value list_value = js.Get("rules");
  if (!list_value.IsArray()) return "policy.rules must be an array";
  Napi::Array list = list_value.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value item = list.Get(i);
    if (!item.IsObject()) return "policy rules must be objects";
    Napi::Object r = item.As<Napi::Object>();
    Rule rule;
    std::vector<std::string> names;
    if (auto e = ReadStrings(r, "syscalls", &names); !e.empty()) return e;
    for (const std::string& name : names) {
      uint16_t index = table.IndexOf(name);
      if (index == SyscallTable::kUnknown) return "policy: unknown syscall " + name;
      rule.syscalls.push_back(index);
    }
    std::string access = "any";
    if (r.Has("access")) ReadString(r, "access", &access);
    rule.access = access == "read" ? Access::kRead : access == "write" ? Access::kWrite : Access::kAny;
    if (auto e = ReadStrings(r, "paths", &rule.paths); !e.empty()) return e;
    if (auto e = ReadStrings(r, "unixPaths", &rule.unix_paths); !e.empty()) return e;
    if (r.Has("networks")) {
      Napi::Value nets = r.Get("networks");
      if (!nets.IsArray()) return "networks must be an array";
      Napi::Array a = nets.As<Napi::Array>();
      for (uint32_t j = 0; j < a.Length(); ++j) {
        Napi::Object n = a.Get(j).As<Napi::Object>();
        Network net;
        std::string address;
        int64_t prefix = 0, port = 0;
        if (auto e = ReadString(n, "address", &address); !e.empty()) return e;
        if (auto e = ReadInt(n, "prefix", &prefix); !e.empty()) return e;
        if (n.Has("port")) ReadInt(n, "port", &port);
        if (inet_pton(AF_INET, address.c_str(), net.addr) == 1) {
          net.family = AF_INET;
          if (prefix < 0 || prefix > 32) return "prefix out of range for " + address;
        } else if (inet_pton(AF_INET6, address.c_str(), net.addr) == 1) {
          net.family = AF_INET6;
          if (prefix < 0 || prefix > 128) return "prefix out of range for " + address;
        } else {
          return "not an IP address: " + address;
        }
        net.prefix = static_cast<int>(prefix);
        net.port = static_cast<int>(port);
        rule.networks.push_back(net);
      }
    }
    std::string decision;
    if (auto e = ReadString(r, "decision", &decision); !e.empty()) return e;
    if (auto e = ReadDecision(decision, &rule.decision); !e.empty()) return e;
    int64_t value = 0;
    if (r.Has("errno")) {
      if (auto e = ReadInt(r, "errno", &value); !e.empty()) return e;
    }
    rule.errno_value = static_cast<int>(value);
    int64_t index = static_cast<int64_t>(i);
    if (r.Has("index")) ReadInt(r, "index", &index);
    rule.index = static_cast<int>(index);
    rules.push_back(std::move(rule));
  }
  Outcome fallback;
  if (js.Has("fallback")) {
    Napi::Object f = js.Get("fallback").As<Napi::Object>();
    std::string decision;
    if (auto e = ReadString(f, "decision", &decision); !e.empty()) return "fallback: " + e;
    if (auto e = ReadDecision(decision, &fallback.decision); !e.empty()) return "fallback: " + e;
    int64_t value = 0;
    if (f.Has("errno")) ReadInt(f, "errno", &value);
    fallback.errno_value = static_cast<int>(value);
  }
  const bool umask_notified =
      js.Has("umaskNotified") && js.Get("umaskNotified").IsBoolean() && js.Get("umaskNotified").As<Napi::Boolean>();
  *out = std::make_shared<const Policy>(std::move(rules), fallback, umask_notified);
  return {};
}

}  // namespace zviz::broker
