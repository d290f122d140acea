import TwVault
TwVaultMain.main()
