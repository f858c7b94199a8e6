#include "broker/read_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/unique_fd.h"

namespace zviz::broker {
namespace {

std::optional<std::string> ReadOne(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY));
  if (!fd) return std::nullopt;
  std::string content;
  char buffer[8192];
  while (content.size() < kReadFileLimit) {
    ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    content.append(buffer, std::min(static_cast<size_t>(n), kReadFileLimit - content.size()));
  }
  return content;
}

class ReadFilesWorker : public Napi::AsyncWorker {
 public:
  ReadFilesWorker(Napi::Env env, std::vector<std::string> paths)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), paths_(std::move(paths)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { contents_ = ReadFiles(paths_); }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Array out = Napi::Array::New(env, contents_.size());
    for (size_t i = 0; i < contents_.size(); i++) {
      out.Set(i, contents_[i] ? Napi::String::New(env, *contents_[i]) : env.Null());
    }
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<std::string> paths_;
  std::vector<std::optional<std::string>> contents_;
};

}  // namespace

std::vector<std::optional<std::string>> ReadFiles(const std::vector<std::string>& paths) {
  std::vector<std::optional<std::string>> contents;
  contents.reserve(paths.size());
  for (const std::string& path : paths) contents.push_back(ReadOne(path));
  return contents;
}

Napi::Value ReadFilesJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) {
    Napi::TypeError::New(env, "readFiles(paths): paths must be an array of strings").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array array = info[0].As<Napi::Array>();
  std::vector<std::string> paths;
  paths.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value path = array.Get(i);
    if (!path.IsString()) {
      Napi::TypeError::New(env, "readFiles(paths): paths must be an array of strings").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    paths.push_back(path.As<Napi::String>().Utf8Value());
    // A path with a NUL would name another file than the one asked for.
    if (paths.back().find('\0') != std::string::npos) {
      Napi::TypeError::New(env, "readFiles(paths): a path holds a NUL byte").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  auto* worker = new ReadFilesWorker(env, std::move(paths));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace zviz::broker
