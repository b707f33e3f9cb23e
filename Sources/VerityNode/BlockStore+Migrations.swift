import GRDB

extension BlockStore {
    /// Every schema change, named and forward-only, in the order they apply.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-blocks") { db in
            try db.create(table: "meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .blob).notNull()
            }
            try db.create(table: "block") { t in
                t.primaryKey("slot", .integer)
                t.column("timestamp", .integer).notNull()
                t.column("blockhash", .blob).notNull()
                t.column("stateRoot", .blob).notNull()
                t.column("transactions", .blob).notNull()
            }
        }
        // History in the store rather than in the node's memory. Blocks stored before this have
        // a NULL transactionCount until the replay on start writes their rows.
        //
        // A transaction's place is `slot << 16 | position` (a block holds at most 2,048), so
        // `tx` and each address's rows grow at their ends as blocks are appended. Only the
        // signature lookup is random: it is an index over the signature's first eight bytes (an
        // integer, so the index stays small and cheap to update), and every lookup checks the
        // whole signature in the row.
        migrator.registerMigration("v2-history") { db in
            try db.alter(table: "block") { t in
                // Transactions in blocks up to and including this one.
                t.add(column: "transactionCount", .integer)
            }
            try db.create(table: "tx") { t in
                t.primaryKey("place", .integer)
                t.column("signature", .blob).notNull()
                t.column("signaturePrefix", .integer).notNull()
                // The TransactionError's Borsh bytes, NULL when it succeeded.
                t.column("error", .blob)
                // Fee, balances and logs (TransactionMeta's stored body).
                t.column("meta", .blob).notNull()
            }
            try db.create(index: "tx_signature", on: "tx", columns: ["signaturePrefix"])
            try db.create(table: "address_tx", options: .withoutRowID) { t in
                t.column("address", .blob).notNull()
                t.column("place", .integer).notNull()
                t.primaryKey(["address", "place"])
            }
        }
        // L1 settlement: one row per batch, written before its commitment is sent (see
        // `BlockStore+Batches`), and the bridge's L1 payouts.
        migrator.registerMigration("v3-batches") { db in
            try db.create(table: "batch") { t in
                t.primaryKey("number", .integer)
                t.column("commitment", .blob).notNull()
                t.column("l1Transaction", .blob)
                t.column("l1Signature", .blob)
                t.column("lastValidHeight", .integer)
                t.column("l1Slot", .integer)
                t.column("settled", .boolean).notNull().defaults(to: false)
            }
            // Bridge payouts on L1 (withdrawals, refunds), by memo; see `BlockStore+Payouts`.
            try db.create(table: "payout") { t in
                t.primaryKey("memo", .text)
                t.column("l1Transaction", .blob).notNull()
                t.column("lastValidHeight", .integer).notNull()
                t.column("landedSlot", .integer)
            }
        }
        return migrator
    }
}
