// The GNU build ID of the shared object this code is linked into: a hash of
// its contents the linker writes into a note (ld --build-id), which strip
// keeps. Files made by a build for one binary (the broker's prebuilt seccomp
// programs) name it, so a rebuilt or other binary never takes them as its own.
#pragma once

#include <string>

namespace zviz {

/** Lower-case hex, or empty when the object carries no build ID. */
std::string OwnBuildId();

}  // namespace zviz
