// libFuzzer's driver, for a main of our own: SwiftPM links executables with main renamed to
// <module>_main, so the one in libFuzzer's runtime (-sanitize=fuzzer) is never used.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
