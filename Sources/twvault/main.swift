import TwVault

await TwVaultMain.main()
