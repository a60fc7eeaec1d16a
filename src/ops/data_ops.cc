// tf.data's iterator ops. The pipeline itself runs in src/data/ (see data/dataset.h).
//
// MakeIterator(inputs...) binds the pipeline description in its `pipeline` attribute to its
// inputs and keeps a new iterator over it in the session's state as `shared_name`, replacing
// (and stopping) the one kept before: an iterator's initializer.
// IteratorGetNext(inputs...) returns the next element of iterator `shared_name` as
// `num_outputs` tensors of `output_types` and (static) `output_shapes`; OutOfRange at the end.
// With a `pipeline` of its own it is a one-shot iterator: the first run makes the iterator
// from its inputs as MakeIterator would.
#include <string>
#include <vector>

#include "data/dataset.h"
#include "ops/ops.h"
#include "tensorlib/executor.h"

namespace tl {
namespace {

// An iterator as the session keeps it: its dataset and its position.
struct IteratorResource : Resource {
  std::mutex mutex;  // one get_next at a time
  std::shared_ptr<const data::Dataset> dataset;
  std::unique_ptr<data::DatasetIterator> iterator;  // destroyed first (it reads the dataset)
};

// The parsed pipeline description, made once per node.
struct PipelineState : KernelState {
  data::DatasetDef def;
};

Status pipeline_prepare(PrepareContext& ctx, std::unique_ptr<KernelState>* state) {
  const std::string& text = ctx.attrs().get<std::string>("pipeline");
  if (text.empty()) return Status::OK();  // an initializable iterator's IteratorGetNext
  auto s = std::make_unique<PipelineState>();
  TL_RETURN_IF_ERROR(data::parse_pipeline(text, &s->def));
  *state = std::move(s);
  return Status::OK();
}

// A new iterator over the prepared pipeline bound to the node's inputs.
Status make_iterator(KernelContext& ctx, std::shared_ptr<IteratorResource>* out) {
  const auto& def = static_cast<const PipelineState*>(ctx.kernel_state())->def;
  std::vector<Tensor> inputs(ctx.num_inputs());  // the iterator reads them after the run
  for (int i = 0; i < ctx.num_inputs(); ++i) TL_RETURN_IF_ERROR(ctx.input_to_keep(i, &inputs[i]));
  data::Binder binder{inputs.data(), inputs.size(), &ctx.functions()};
  auto r = std::make_shared<IteratorResource>();
  TL_RETURN_IF_ERROR(data::make_dataset(def, binder, &r->dataset));
  if (binder.next != inputs.size()) {
    return invalid_argument("the dataset pipeline takes " + std::to_string(binder.next) +
                            " inputs, the op has " + std::to_string(inputs.size()));
  }
  TL_RETURN_IF_ERROR(r->dataset->make_iterator(&r->iterator));
  *out = std::move(r);
  return Status::OK();
}

// A pipeline description must parse when the graph is built.
Status check_pipeline(InferenceContext& ctx) {
  const std::string& text = ctx.attrs().get<std::string>("pipeline");
  data::DatasetDef def;
  return text.empty() ? Status::OK() : data::parse_pipeline(text, &def);
}

Status make_iterator_kernel(KernelContext& ctx) {
  std::shared_ptr<IteratorResource> r;
  TL_RETURN_IF_ERROR(make_iterator(ctx, &r));
  ctx.state().set_resource(ctx.attrs().get<std::string>("shared_name"), std::move(r));
  return Status::OK();
}

// The static shapes of output_shapes: per output its rank (-1: unknown), then its dims.
Status decode_shapes(const std::vector<int64_t>& encoded, std::vector<Shape>* out) {
  for (size_t i = 0; i < encoded.size();) {
    const int64_t rank = encoded[i++];
    if (rank < 0) {
      out->push_back(Shape::unknown());
      continue;
    }
    if (i + rank > encoded.size()) return invalid_argument("malformed output_shapes");
    Shape s;
    for (int64_t d = 0; d < rank; ++d) s.add_dim(encoded[i++]);
    out->push_back(s);
  }
  return Status::OK();
}

Status get_next_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_pipeline(ctx));
  const auto& types = ctx.attrs().get<std::vector<int64_t>>("output_types");
  std::vector<Shape> shapes;
  TL_RETURN_IF_ERROR(decode_shapes(ctx.attrs().get<std::vector<int64_t>>("output_shapes"),
                                   &shapes));
  if (types.size() != static_cast<size_t>(ctx.num_outputs()) || shapes.size() != types.size()) {
    return invalid_argument(ctx.op() + " has " + std::to_string(ctx.num_outputs()) +
                            " outputs, " + std::to_string(types.size()) + " output_types and " +
                            std::to_string(shapes.size()) + " output_shapes");
  }
  for (size_t i = 0; i < types.size(); ++i) {
    ctx.set_output(static_cast<int>(i), static_cast<DType>(types[i]), shapes[i]);
  }
  return Status::OK();
}

// Element `e` must have the node's output dtypes and shapes compatible with its static ones.
Status check_element(KernelContext& ctx, const data::Element& e) {
  const Node& node = ctx.graph_node();
  if (e.size() != node.output_dtypes.size()) {
    return invalid_argument("the dataset's elements have " + std::to_string(e.size()) +
                            " components, the iterator expects " +
                            std::to_string(node.output_dtypes.size()));
  }
  for (size_t i = 0; i < e.size(); ++i) {
    Shape merged;
    if (e[i].dtype() != node.output_dtypes[i] ||
        !node.output_shapes[i].merge(e[i].shape(), &merged).ok()) {
      return invalid_argument("component " + std::to_string(i) + " of the dataset's element is " +
                              dtype_name(e[i].dtype()) + " of shape " +
                              e[i].shape().to_string() + ", the iterator expects " +
                              dtype_name(node.output_dtypes[i]) + " of shape " +
                              node.output_shapes[i].to_string());
    }
  }
  return Status::OK();
}

Status get_next_kernel(KernelContext& ctx) {
  const std::string& name = ctx.attrs().get<std::string>("shared_name");
  auto r = std::dynamic_pointer_cast<IteratorResource>(ctx.state().find_resource(name));
  if (!r && ctx.kernel_state()) {  // a one-shot iterator's first run
    std::shared_ptr<IteratorResource> made;
    TL_RETURN_IF_ERROR(make_iterator(ctx, &made));
    r = std::dynamic_pointer_cast<IteratorResource>(
        ctx.state().resource(name, [&]() -> std::shared_ptr<Resource> { return made; }));
  }
  if (!r) {
    return failed_precondition(
        "GetNext() failed because the iterator has not been initialized. Ensure that you have "
        "run the initializer operation for this iterator before getting the next element.");
  }
  std::lock_guard<std::mutex> lock(r->mutex);
  data::IteratorContext ictx;
  ictx.state = &ctx.state();
  ictx.functions = &ctx.functions();
  ictx.control = ctx.control();
  ictx.max_threads = ctx.max_threads();
  data::Element element;
  bool end = false;
  TL_RETURN_IF_ERROR(r->iterator->get_next(ictx, &element, &end));
  if (end) return Status(StatusCode::kOutOfRange, "End of sequence");
  TL_RETURN_IF_ERROR(check_element(ctx, element));
  for (size_t i = 0; i < element.size(); ++i) {
    // A row of a source (from_tensor_slices) is copied: what leaves the pipeline owns its
    // memory, so the executor may reuse it in place.
    if (element[i].is_view()) {
      TL_RETURN_IF_ERROR(element[i].copy(&ctx.output(static_cast<int>(i))));
    } else {
      ctx.output(static_cast<int>(i)) = std::move(element[i]);
    }
  }
  return Status::OK();
}

}  // namespace

void register_data_ops(OpRegistry& r) {
  r.add_builtin(OpDef("MakeIterator")
                    .variadic_input("input")
                    .outputs(0)
                    .attr("shared_name", AttrType::kString)
                    .attr("pipeline", AttrType::kString)
                    .shape(check_pipeline)
                    .stateful());
  r.add_builtin(OpDef("IteratorGetNext")
                    .variadic_input("input")
                    .outputs_from_attr("num_outputs")
                    .attr("num_outputs", AttrType::kInt)
                    .attr("shared_name", AttrType::kString)
                    .attr("pipeline", AttrType::kString, std::string())
                    .attr("output_types", AttrType::kInts)
                    .attr("output_shapes", AttrType::kInts)
                    .shape(get_next_shape)
                    .sets_own_outputs()
                    .stateful());
}

void register_data_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("MakeIterator", Device::kCPU)
                    .prepare(pipeline_prepare)
                    .compute(make_iterator_kernel));
  r.add_builtin(KernelDef("IteratorGetNext", Device::kCPU)
                    .prepare(pipeline_prepare)
                    .compute(get_next_kernel));
}

}  // namespace tl
