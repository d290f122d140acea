#include <stddef.h>
#include <stdint.h>

// libFuzzer's interface ("Using libFuzzer as a library" in LLVM's libFuzzer documentation):
// each harness defines the first, and its main hands it to the second, which reads libFuzzer's
// flags from the arguments and runs the campaign.
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
