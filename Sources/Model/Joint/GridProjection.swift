// φ over the backbone's grid: every cell of the 7×7 head map is projected
// into the joint space with the same W, the projected cells are pooled with
// the learned sorted pooling, and the photo's bridge vector and c are added:
// φ = normalise(b + GPO_θ(g_k Wᵀ) + c). With θ = 0 the pooling is the mean,
// and since W is linear that equals W f: the pooled model is the special
// case, so a grid model can start from a trained pooled one.
// N = photos, K = cells, F = feature width, D = joint dimension.

/// Activations of one grid φ forward pass, kept for the backward pass.
public struct GridImageActivations: Sendable {
    public var projection: ProjectionActivations  // the normalisation; its `input` is unused (empty)
    public var grid: [Float]                      // g (N·K, F)
    public var cellProjections: [Float]           // g Wᵀ (N·K, D)
    public var pooling: SortedPoolActivations
    public var output: [Float] { projection.output }
}

extension JointParameters {
    /// Cells per photo this model pools, nil for a pooled-feature model.
    public var gridCells: Int? { gridPooling?.count }

    /// φ (N,D) from b (N,D) bridge vectors and grids g (N·K, F), photo-major.
    public func gridImageForward(bridge b: [Float], grid g: [Float], batch n: Int) -> GridImageActivations {
        guard let theta = gridPooling else { preconditionFailure("gridImageForward: not a grid model") }
        let k = theta.count
        precondition(b.count == n * dimension && g.count == n * k * featureWidth, "gridImageForward: shapes")
        let cells = projectCells(g, rows: n * k)
        let (pooled, pooling) = sortedWeightedPool(cells, logits: theta, batch: n, dimension: dimension)
        var z = b
        for i in z.indices { z[i] += pooled[i] }
        let projection = normalizeRows(z, bias: imageBias, input: [], batch: n)
        return GridImageActivations(projection: projection, grid: g, cellProjections: cells, pooling: pooling)
    }

    /// dW, dc and dθ from dφ (N,D).
    public func gridImageBackward(_ grads: inout JointGradients, outputGradient dy: [Float], _ act: GridImageActivations) {
        let n = act.projection.batch, k = act.pooling.cells
        let dz = preNormGradient(dy, act.projection)
        for r in 0..<n { for j in 0..<dimension { grads.imageBias[j] += dz[r * dimension + j] } }
        var dCells = [Float]()
        var dTheta = grads.gridPooling ?? [Float](repeating: 0, count: k)
        sortedWeightedPoolBackward(dz, x: act.cellProjections, act.pooling, dInput: &dCells, dLogits: &dTheta)
        grads.gridPooling = dTheta
        // dW (D,F) += dCellsᵀ (D, N·K) · g (N·K, F)
        dCells.withUnsafeBufferPointer { pd in
            act.grid.withUnsafeBufferPointer { pg in
                grads.imageWeight.withUnsafeMutableBufferPointer { pw in
                    gemm(pw.baseAddress!, pd.baseAddress!, pg.baseAddress!, m: dimension, n: featureWidth, k: n * k,
                         transposeA: true, beta: 1)
                }
            }
        }
    }

    /// Per-cell joint embeddings (R,D), each normalise(b_r + W g_r + c), from
    /// R cells' features g (R,F) and their own bridge vectors b (R,D) (the
    /// bridge of each cell's class scores: the classifier is linear, so cell
    /// logits are the classifier applied to the cell). A query's dot product
    /// with them is a cell-level similarity map.
    public func cellEmbeddings(cellBridge b: [Float], grid g: [Float], cells r: Int) -> [Float] {
        precondition(b.count == r * dimension && g.count == r * featureWidth, "cellEmbeddings: shapes")
        var z = b
        let projected = projectCells(g, rows: r)
        for i in z.indices { z[i] += projected[i] }
        return normalizeRows(z, bias: imageBias, input: [], batch: r).output
    }

    /// g (R,F) Wᵀ → (R,D), one GEMM.
    private func projectCells(_ g: [Float], rows: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * dimension)
        g.withUnsafeBufferPointer { pg in
            imageWeight.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { po in
                    gemm(po.baseAddress!, pg.baseAddress!, pw.baseAddress!, m: rows, n: dimension, k: featureWidth,
                         transposeB: true)
                }
            }
        }
        return out
    }
}
