import Testing
@testable import VerityCore

@Suite struct MerkleTreeTests {
    private func leaves(_ n: Int) -> [[UInt8]] { (0..<n).map { Array("leaf-\($0)".utf8) } }

    @Test func rootsFollowTheDefinition() {
        #expect(MerkleTree(leaves: []).root == Hash.sha256([0x02] + [UInt8](repeating: 0, count: 40)))
        let one = MerkleTree(leaves: [[1]])
        #expect(one.top == Hash.sha256([0x00, 1]))
        #expect(one.root == Hash.sha256([0x02, 1, 0, 0, 0, 0, 0, 0, 0] + Hash.sha256([0x00, 1]).bytes))
        let three = MerkleTree(leaves: leaves(3))
        let l = leaves(3).map(MerkleTree.leafHash)
        // The odd third leaf is carried up, not duplicated.
        #expect(three.top == MerkleTree.nodeHash(MerkleTree.nodeHash(l[0], l[1]), l[2]))
        #expect(three.root == MerkleTree.rootHash(leafCount: 3, top: three.top))
    }

    @Test func everyProofVerifiesForEverySize() throws {
        for n in 1...40 {
            let data = leaves(n)
            let tree = MerkleTree(leaves: data)
            for i in 0..<n {
                let proof = try #require(tree.proof(index: i))
                #expect(proof.verify(leaf: data[i], root: tree.root), "n=\(n) i=\(i)")
                #expect(!proof.verify(leaf: data[(i + 1) % n] + [0], root: tree.root))
            }
            #expect(tree.proof(index: n) == nil)
        }
    }

    @Test func tamperedProofsFail() throws {
        let data = leaves(13)
        let tree = MerkleTree(leaves: data)
        var proof = try #require(tree.proof(index: 5))
        proof.siblings[1] = Hash.sha256([9])
        #expect(!proof.verify(leaf: data[5], root: tree.root))
        proof = try #require(tree.proof(index: 5))
        proof.leafIndex = 4
        #expect(!proof.verify(leaf: data[5], root: tree.root))
        proof = try #require(tree.proof(index: 5))
        proof.siblings.append(.zero)
        #expect(throws: CoreError.invalidMerkleProof("1 extra sibling hashes")) { try proof.root(fromLeafHash: MerkleTree.leafHash(data[5])) }
        proof.siblings.removeLast(2)
        #expect(throws: CoreError.invalidMerkleProof("too few sibling hashes")) { try proof.root(fromLeafHash: MerkleTree.leafHash(data[5])) }
        proof.leafCount = 0
        #expect(throws: CoreError.self) { try proof.root(fromLeafHash: MerkleTree.leafHash(data[5])) }
    }

    @Test func theRootBindsTheLeafCount() throws {
        // Leaf 2 of a 3-leaf tree is carried up; without the count in the root its proof would
        // also pass as leaf 1 of a 2-leaf tree.
        let data = leaves(3)
        let tree = MerkleTree(leaves: data)
        var proof = try #require(tree.proof(index: 2))
        #expect(proof.verify(leaf: data[2], root: tree.root))
        proof.leafIndex = 1
        proof.leafCount = 2
        #expect(!proof.verify(leaf: data[2], root: tree.root))
    }

    @Test func aLeafCannotPassForANode() {
        let l = leaves(2).map(MerkleTree.leafHash)
        let inner = [0x01] + l[0].bytes + l[1].bytes
        // Presenting the concatenation of two leaf hashes as one leaf gives a different hash.
        #expect(MerkleTree.leafHash(Array(inner.dropFirst())) != MerkleTree.nodeHash(l[0], l[1]))
    }
}
