import FuzzSupport

// libFuzzer's driver over this harness's LLVMFuzzerTestOneInput (Harness.swift).
FuzzDriver.main()
