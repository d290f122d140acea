import ArgumentParser
import Vault
public enum TwVaultMain { public static func main() { print("twvault 0.1.0") } }
