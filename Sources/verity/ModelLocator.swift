import Foundation
import VerityModels

/// Where models live on disk, and how names on the command line map to folders.
enum ModelLocator {

    /// The cache root: `$VERITY_MODEL_CACHE`, else `$XDG_CACHE_HOME/verity/models`, else
    /// `~/.cache/verity/models`.
    static var cacheRoot: URL {
        let env = ProcessInfo.processInfo.environment
        if let root = env["VERITY_MODEL_CACHE"], !root.isEmpty { return URL(fileURLWithPath: root) }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return URL(fileURLWithPath: xdg).appendingPathComponent("verity/models") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/verity/models")
    }

    /// Resolves a model name (`minilm`) to its cached folder, or a path to itself; the folder must
    /// hold a model.
    static func resolve(_ nameOrPath: String) throws -> URL {
        let fm = FileManager.default
        if let known = KnownModel.named(nameOrPath) {
            let url = cacheRoot.appendingPathComponent(known.folder)
            guard fm.fileExists(atPath: url.appendingPathComponent("model.safetensors").path) else {
                throw CLIError("model \(nameOrPath) is not downloaded yet: run `verity model fetch \(nameOrPath)`")
            }
            return url
        }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: nameOrPath, isDirectory: &isDirectory) else {
            throw CLIError("unknown model \(nameOrPath): neither a known name (minilm) nor a folder")
        }
        guard isDirectory.boolValue, fm.fileExists(atPath: (nameOrPath as NSString).appendingPathComponent("model.safetensors")) else {
            throw CLIError("\(nameOrPath) is not a model folder (no model.safetensors)")
        }
        return URL(fileURLWithPath: nameOrPath)
    }

    /// The one model a provider (worker or auditor) serves, from its `--models` value: a known
    /// name fetched into the cache if missing, or a model folder; with the name it registers.
    static func served(_ models: String, by role: String) throws -> (folder: URL, name: String) {
        guard !models.contains(",") else { throw CLIError("one model per \(role) for now: --models minilm") }
        if let known = KnownModel.named(models) {
            return (try ModelFetcher.fetch(known, into: cacheRoot, force: false), known.name)
        }
        return (try resolve(models), models)
    }
}
