import VerityCore
import VerityModels
import VerityTensor
import VerityVerify

/// Whether a forced job's round-1 bundle is its round-2 (honest) bundle with exactly the fault
/// its salt gives: the same leaves but for the faulted tensor's digest, that tensor moved by
/// exactly the fault, and the honest tensor matching its own leaf.
enum PlantCheck {
    enum Result: Equatable {
        /// A blob the check needs is not held: decide later.
        case missing(Hash)
        /// Checked: whether the plant is as forced, the step it is in, and whether that step's
        /// row holding it is among the rows the auditor's attestation vouches for (always,
        /// for an attestation of every row).
        case checked(valid: Bool, step: Int, inAttestedRows: Bool)
    }

    static func check(job: JobRecord, blobs: any BlobReader) -> Result {
        let config: BertConfig
        do throws(ModelLoadError) { config = try ModelLibrary.config(of: job.model, blobs: blobs) } catch {
            if case let .missing(id) = error { return .missing(id) }
            return .missing(job.model)
        }
        guard let schedule = try? ModelSchedule.cached(config: config, tokens: Int(job.tokens)) else { return .checked(valid: false, step: 0, inAttestedRows: true) }
        let fault = PlantedFault(salt: job.audit.salt, schedule: schedule)
        let inRows = job.audit.attestedRows?.contains(row: fault.row, of: schedule.tokens) ?? true
        let honest: BundleAccess, planted: BundleAccess
        do throws(BundleAccess.Failure) {
            honest = try BundleAccess(job.audit.bundle, blobs: blobs)
            planted = try BundleAccess(job.audit.plantedBundle, blobs: blobs)
        } catch {
            if case let .missing(id) = error { return .missing(id) }
            return .checked(valid: false, step: fault.step, inAttestedRows: inRows)
        }
        let original: Tensor, changed: Tensor
        do throws(BundleAccess.Failure) {
            original = try honest.tensor(fault.tensor)
            changed = try planted.tensor(fault.tensor)
        } catch {
            if case let .missing(id) = error { return .missing(id) }
            return .checked(valid: false, step: fault.step, inAttestedRows: inRows)
        }
        guard let ref = honest.header.location(of: fault.tensor)?.ref, Blake3.hash(original) == ref.digest,
              fault.isApplied(honest: original, planted: changed)
        else { return .checked(valid: false, step: fault.step, inAttestedRows: inRows) }
        let expected = fault.planted(honest.header.steps, digest: Blake3.hash(changed)).map { $0.leafBytes }
        return .checked(valid: expected == planted.header.leaves, step: fault.step, inAttestedRows: inRows)
    }
}
