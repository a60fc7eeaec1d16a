// Queues of TF1's input pipelines: FIFOQueueV2, RandomShuffleQueueV2, PaddingFIFOQueueV2 (each
// run makes its session's queue when it has none yet and outputs the queue's handle, its
// name), and the ops on a handle: QueueEnqueueV2, QueueEnqueueManyV2, QueueDequeueV2,
// QueueDequeueManyV2, QueueDequeueUpToV2, QueueCloseV2, QueueSizeV2, QueueIsClosedV2.
//
// Attributes shared by the queue ops: `component_types` (dtype enums), `shapes` (per
// component: its rank, -1 when unknown, then its dims, -1 for unknown ones; empty: no shapes
// given), `capacity` (-1: unbounded), `shared_name` (the queue's name; empty: the node's).
//
// Also CountUpTo, the epoch counter of tf.train's input producers.
#include <chrono>
#include <cstring>

#include "ops/kernel_util.h"
#include "ops/ops.h"
#include "ops/queue.h"
#include "ops/shape_fns.h"
#include "tensorlib/executor.h"
#include "tensorlib/graph.h"

namespace tl {
namespace {

// How often a blocked call looks at its run's cancellation and deadline.
constexpr auto kPollInterval = std::chrono::milliseconds(20);

// Copies n elements of `src` from element `from` to `dst` at element `to` (same dtype).
void copy_elements(const Tensor& src, int64_t from, Tensor& dst, int64_t to, int64_t n) {
  if (src.dtype() == DType::kString) {
    const std::string* s = src.data<std::string>() + from;
    std::string* d = dst.data<std::string>() + to;
    for (int64_t i = 0; i < n; ++i) d[i] = s[i];
    return;
  }
  const size_t size = dtype_size(src.dtype());
  if (n) {
    std::memcpy(static_cast<char*>(dst.raw_data()) + to * size,
                static_cast<const char*>(src.raw_data()) + from * size, n * size);
  }
}

// A tensor of `dtype` and `shape` whose elements are zero (empty strings).
Status allocate_zeros(DType dtype, const Shape& shape, Tensor* out) {
  TL_RETURN_IF_ERROR(Tensor::allocate(dtype, shape, out));
  if (dtype != DType::kString && out->num_bytes()) {
    std::memset(out->raw_data(), 0, out->num_bytes());
  }
  return Status::OK();
}

// Copies `src` into the corner of `dst` (at element `base`) whose shape is src's: dst's dims
// past the first `skip` are at least src's (a padded batch row).
void copy_padded(const Tensor& src, Tensor& dst, int64_t base, int skip) {
  const Shape& s = src.shape();
  const int rank = s.rank();
  if (rank == 0 || src.num_elements() == 0) {
    copy_elements(src, 0, dst, base, src.num_elements());
    return;
  }
  const int64_t row = s.dim(rank - 1);
  int64_t dst_strides[kMaxRank];
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    dst_strides[d] = stride;
    stride *= dst.shape().dim(d + skip);
  }
  const int64_t rows = src.num_elements() / row;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t rest = r, offset = 0;
    for (int d = rank - 2; d >= 0; --d) {
      offset += (rest % s.dim(d)) * dst_strides[d];
      rest /= s.dim(d);
    }
    copy_elements(src, r * row, dst, base + offset, row);
  }
}

std::string kind_name(Queue::Kind kind) {
  switch (kind) {
    case Queue::Kind::kFIFO: return "FIFOQueue";
    case Queue::Kind::kRandomShuffle: return "RandomShuffleQueue";
    case Queue::Kind::kPadding: return "PaddingFIFOQueue";
  }
  return "Queue";
}

}  // namespace

Queue::Queue(std::string name, Kind kind, std::vector<DType> dtypes, std::vector<Shape> shapes,
             int64_t capacity, int64_t min_after_dequeue, uint64_t seed)
    : name_(std::move(name)), kind_(kind), dtypes_(std::move(dtypes)), shapes_(std::move(shapes)),
      capacity_(capacity), min_after_dequeue_(min_after_dequeue),
      rng_(seed ? seed : std::random_device{}()) {}

template <typename Ready>
Status Queue::wait(std::unique_lock<std::mutex>& lock, RunControl* control, Ready ready) {
  while (true) {
    if (cancelled_) {
      return cancelled("Session has been closed: " + kind_name(kind_) + " '" + name_ +
                       "' was cancelled");
    }
    if (ready()) return Status::OK();
    if (control) TL_RETURN_IF_ERROR(control->check_waiting());
    changed_.wait_for(lock, kPollInterval);
  }
}

Status Queue::check_element(const Element& element) const {
  if (element.size() != dtypes_.size()) {
    return invalid_argument(kind_name(kind_) + " '" + name_ + "' has " +
                            std::to_string(dtypes_.size()) + " components, got " +
                            std::to_string(element.size()));
  }
  for (size_t i = 0; i < element.size(); ++i) {
    if (element[i].dtype() != dtypes_[i]) {
      return invalid_argument("Type mismatch in tuple component " + std::to_string(i) +
                              ": expected " + dtype_name(dtypes_[i]) + ", got " +
                              dtype_name(element[i].dtype()));
    }
    if (!shapes_.empty() && !shapes_[i].is_compatible_with(element[i].shape())) {
      return invalid_argument("Shape mismatch in tuple component " + std::to_string(i) +
                              ". Expected " + shapes_[i].to_string() + ", got " +
                              element[i].shape().to_string());
    }
  }
  return Status::OK();
}

Status Queue::enqueue(std::vector<Element> elements, RunControl* control) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (Element& e : elements) {
    if (closed_) return cancelled(kind_name(kind_) + " '" + name_ + "' is closed.");
    TL_RETURN_IF_ERROR(wait(lock, control, [&] {
      return cancel_enqueues_ || capacity_ < 0 ||
             static_cast<int64_t>(elements_.size()) < capacity_;
    }));
    if (cancel_enqueues_) {
      return cancelled("Enqueue operation was cancelled: " + kind_name(kind_) + " '" + name_ +
                       "' was closed");
    }
    elements_.push_back(std::move(e));
    changed_.notify_all();
  }
  return Status::OK();
}

int64_t Queue::available() const {
  const int64_t n = static_cast<int64_t>(elements_.size());
  if (kind_ != Kind::kRandomShuffle || closed_) return n;
  return n > min_after_dequeue_ ? n - min_after_dequeue_ : 0;
}

Queue::Element Queue::take_one() {
  if (kind_ == Kind::kRandomShuffle) {
    std::uniform_int_distribution<size_t> pick(0, elements_.size() - 1);
    std::swap(elements_[pick(rng_)], elements_.back());
    Element e = std::move(elements_.back());
    elements_.pop_back();
    return e;
  }
  Element e = std::move(elements_.front());
  elements_.pop_front();
  return e;
}

Status Queue::insufficient(int64_t requested) const {
  return Status(StatusCode::kOutOfRange,
                kind_name(kind_) + " '" + name_ + "' is closed and has insufficient elements " +
                    "(requested " + std::to_string(requested) + ", current size " +
                    std::to_string(elements_.size()) + ")");
}

Status Queue::dequeue(RunControl* control, Element* out) {
  std::unique_lock<std::mutex> lock(mutex_);
  TL_RETURN_IF_ERROR(wait(lock, control, [&] { return closed_ || available() >= 1; }));
  if (elements_.empty()) return insufficient(1);
  *out = take_one();
  changed_.notify_all();
  return Status::OK();
}

Status Queue::dequeue_many(int64_t n, Count count, RunControl* control,
                           std::vector<Tensor>* out) {
  if (n < 0) return invalid_argument("The number of elements to dequeue must be >= 0, got " +
                                     std::to_string(n));
  std::vector<Element> taken;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    // A failed call puts what it took back, leaving the queue as it found it.
    auto give_back = [&](Status s) {
      for (auto it = taken.rbegin(); it != taken.rend(); ++it) {
        elements_.push_front(std::move(*it));
      }
      changed_.notify_all();
      return s;
    };
    // Elements are taken as they come, so a batch larger than the capacity, or than the
    // room above min_after_dequeue, still completes.
    while (static_cast<int64_t>(taken.size()) < n) {
      Status s = wait(lock, control, [&] { return closed_ || available() >= 1; });
      if (!s.ok()) return give_back(s);
      if (available() == 0) {  // closed with nothing left
        if (count == kUpTo && !taken.empty()) break;
        give_back(Status::OK());
        return insufficient(n);
      }
      taken.push_back(take_one());
      changed_.notify_all();
    }
  }
  return stack(taken, out);
}

Status Queue::stack(std::vector<Element>& elements, std::vector<Tensor>* out) const {
  const int64_t n = static_cast<int64_t>(elements.size());
  out->assign(dtypes_.size(), Tensor());
  for (size_t c = 0; c < dtypes_.size(); ++c) {
    // The batch's element shape: the first element's (grown to the largest of each dim in
    // a PaddingFIFOQueue); for an empty batch, the queue's with open dims as 0.
    Shape element_shape = n ? elements[0][c].shape()
                            : (shapes_.empty() || !shapes_[c].rank_known() ? Shape() : shapes_[c]);
    for (int d = 0; d < element_shape.rank(); ++d) {
      if (element_shape.dim(d) < 0) element_shape.set_dim(d, 0);
    }
    for (const Element& e : elements) {
      const Shape& s = e[c].shape();
      if (kind_ == Kind::kPadding && s.rank() == element_shape.rank()) {
        for (int d = 0; d < s.rank(); ++d) {
          element_shape.set_dim(d, std::max(element_shape.dim(d), s.dim(d)));
        }
      } else if (s != element_shape) {
        return invalid_argument("Shape mismatch in tuple component " + std::to_string(c) +
                                ": dequeue_many needs elements of one shape, got " +
                                element_shape.to_string() + " and " + s.to_string() +
                                " (a PaddingFIFOQueue pads them)");
      }
    }
    std::vector<int64_t> dims{n};
    for (int d = 0; d < element_shape.rank(); ++d) dims.push_back(element_shape.dim(d));
    Shape batch_shape;
    TL_RETURN_IF_ERROR(Shape::make(dims, &batch_shape));
    Tensor& batch = (*out)[c];
    TL_RETURN_IF_ERROR(allocate_zeros(dtypes_[c], batch_shape, &batch));
    const int64_t per = element_shape.num_elements();
    for (int64_t i = 0; i < n; ++i) copy_padded(elements[i][c], batch, i * per, 1);
  }
  return Status::OK();
}

void Queue::close(bool cancel_pending_enqueues) {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  if (cancel_pending_enqueues) cancel_enqueues_ = true;
  changed_.notify_all();
}

int64_t Queue::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(elements_.size());
}

bool Queue::is_closed() {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

void Queue::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = closed_ = cancel_enqueues_ = true;
  changed_.notify_all();
}

Status lookup_queue(KernelContext& ctx, const Tensor& handle, std::shared_ptr<Queue>* out) {
  if (handle.dtype() != DType::kString || handle.num_elements() != 1) {
    return invalid_argument("A queue handle must be a string scalar");
  }
  const std::string& name = *handle.data<std::string>();
  *out = std::dynamic_pointer_cast<Queue>(ctx.state().find_resource(name));
  if (!*out) return not_found("No queue named '" + name + "' in this session");
  return Status::OK();
}

namespace {

// The dtypes of attribute `component_types`.
std::vector<DType> component_types(const AttrMap& attrs) {
  std::vector<DType> out;
  for (int64_t t : attrs.get<std::vector<int64_t>>("component_types")) {
    out.push_back(static_cast<DType>(t));
  }
  return out;
}

// The shapes of attribute `shapes` (see the file comment).
Status component_shapes(const AttrMap& attrs, std::vector<Shape>* out) {
  const auto& v = attrs.get<std::vector<int64_t>>("shapes");
  out->clear();
  for (size_t i = 0; i < v.size();) {
    const int64_t rank = v[i++];
    if (rank < 0) {
      out->push_back(Shape::unknown());
      continue;
    }
    if (i + rank > v.size()) return invalid_argument("Malformed queue shapes attribute");
    Shape s;
    TL_RETURN_IF_ERROR(Shape::make(v.data() + i, static_cast<int>(rank), &s));
    out->push_back(s);
    i += rank;
  }
  return Status::OK();
}

std::string queue_name(const KernelContext& ctx) {
  const std::string& shared = ctx.attrs().get<std::string>("shared_name");
  return shared.empty() ? ctx.graph_node().name : shared;
}

Status handle_shape(InferenceContext& ctx) {
  ctx.set_output(0, DType::kString, Shape());
  return Status::OK();
}

Status queue_shape(InferenceContext& ctx) {
  std::vector<Shape> shapes;
  TL_RETURN_IF_ERROR(component_shapes(ctx.attrs(), &shapes));
  const size_t n = ctx.attrs().get<std::vector<int64_t>>("component_types").size();
  if (n == 0) return invalid_argument("A queue needs at least one component dtype");
  if (!shapes.empty() && shapes.size() != n) {
    return invalid_argument("Queue shapes must have the same length as dtypes");
  }
  return handle_shape(ctx);
}

template <Queue::Kind kKind>
Status queue_kernel(KernelContext& ctx) {
  const std::string name = queue_name(ctx);
  Status made;
  auto resource = ctx.state().resource(name, [&]() -> std::shared_ptr<Resource> {
    std::vector<Shape> shapes;
    made = component_shapes(ctx.attrs(), &shapes);
    const AttrMap& a = ctx.attrs();
    const bool shuffle = kKind == Queue::Kind::kRandomShuffle;
    const uint64_t seed =
        shuffle ? static_cast<uint64_t>(a.get<int64_t>("seed")) * 0x9E3779B97F4A7C15ull +
                      static_cast<uint64_t>(a.get<int64_t>("seed2"))
                : 0;
    return std::make_shared<Queue>(name, kKind, component_types(a), std::move(shapes),
                                   a.get<int64_t>("capacity"),
                                   shuffle ? a.get<int64_t>("min_after_dequeue") : 0, seed);
  });
  TL_RETURN_IF_ERROR(made);
  if (!std::dynamic_pointer_cast<Queue>(resource)) {
    return invalid_argument("The name '" + name + "' of this queue is taken by a reader");
  }
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kString, Shape(), &ctx.output(0)));
  *ctx.output(0).data<std::string>() = name;
  return Status::OK();
}

Status enqueue_shape(InferenceContext&) { return Status::OK(); }

// The components of one element, inputs 1.. of the node, kept beyond the run.
Status element_inputs(KernelContext& ctx, Queue::Element* out) {
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    Tensor kept;
    TL_RETURN_IF_ERROR(ctx.input_to_keep(i, &kept));
    out->push_back(std::move(kept));
  }
  return Status::OK();
}

Status enqueue_kernel(KernelContext& ctx) {
  std::shared_ptr<Queue> q;
  TL_RETURN_IF_ERROR(lookup_queue(ctx, ctx.input(0), &q));
  Queue::Element e;
  TL_RETURN_IF_ERROR(element_inputs(ctx, &e));
  TL_RETURN_IF_ERROR(q->check_element(e));
  std::vector<Queue::Element> one;
  one.push_back(std::move(e));
  return q->enqueue(std::move(one), ctx.control());
}

// Splits every component along its first dim into elements (all components have that dim).
Status unstack_elements(const Queue::Element& batch, std::vector<Queue::Element>* out) {
  int64_t n = -1;
  for (const Tensor& t : batch) {
    if (t.shape().rank() < 1) {
      return invalid_argument("enqueue_many needs components of rank >= 1, got a scalar");
    }
    if (n >= 0 && t.shape().dim(0) != n) {
      return invalid_argument("enqueue_many needs components with one first dim, got " +
                              std::to_string(n) + " and " + std::to_string(t.shape().dim(0)));
    }
    n = t.shape().dim(0);
  }
  out->assign(n, Queue::Element(batch.size()));
  for (size_t c = 0; c < batch.size(); ++c) {
    const Tensor& t = batch[c];
    std::vector<int64_t> dims = t.shape().to_vector();
    dims.erase(dims.begin());
    Shape s;
    TL_RETURN_IF_ERROR(Shape::make(dims, &s));
    const int64_t per = s.num_elements();
    for (int64_t i = 0; i < n; ++i) {
      Tensor& e = (*out)[i][c];
      TL_RETURN_IF_ERROR(Tensor::allocate(t.dtype(), s, &e));
      copy_elements(t, i * per, e, 0, per);
    }
  }
  return Status::OK();
}

Status enqueue_many_kernel(KernelContext& ctx) {
  std::shared_ptr<Queue> q;
  TL_RETURN_IF_ERROR(lookup_queue(ctx, ctx.input(0), &q));
  Queue::Element batch;
  for (int i = 1; i < ctx.num_inputs(); ++i) batch.push_back(ctx.input(i));
  std::vector<Queue::Element> elements;
  TL_RETURN_IF_ERROR(unstack_elements(batch, &elements));
  for (const Queue::Element& e : elements) TL_RETURN_IF_ERROR(q->check_element(e));
  return q->enqueue(std::move(elements), ctx.control());
}

// Outputs: one per component, of the queue's dtypes and shapes, with a leading batch dim of
// `batch` (-2: none; -1: unknown) .
Status component_outputs(InferenceContext& ctx, int64_t batch) {
  std::vector<Shape> shapes;
  TL_RETURN_IF_ERROR(component_shapes(ctx.attrs(), &shapes));
  const std::vector<DType> types = component_types(ctx.attrs());
  if (static_cast<int>(types.size()) != ctx.num_outputs()) {
    return invalid_argument("A dequeue needs one output per queue component");
  }
  for (size_t c = 0; c < types.size(); ++c) {
    Shape s = shapes.empty() ? Shape::unknown() : shapes[c];
    if (batch != -2 && s.rank_known()) {
      std::vector<int64_t> dims{batch};
      for (int d = 0; d < s.rank(); ++d) dims.push_back(s.dim(d));
      TL_RETURN_IF_ERROR(Shape::make(dims, &s));
    }
    ctx.set_output(static_cast<int>(c), types[c], s);
  }
  return Status::OK();
}

Status dequeue_shape(InferenceContext& ctx) { return component_outputs(ctx, -2); }

Status dequeue_many_shape(InferenceContext& ctx) {
  const Tensor* n = ctx.input_value(1);
  const bool exact = ctx.op() == "QueueDequeueManyV2";
  return component_outputs(ctx, exact && n ? int_element(*n, 0) : -1);
}

Status dequeue_kernel(KernelContext& ctx) {
  std::shared_ptr<Queue> q;
  TL_RETURN_IF_ERROR(lookup_queue(ctx, ctx.input(0), &q));
  Queue::Element e;
  TL_RETURN_IF_ERROR(q->dequeue(ctx.control(), &e));
  for (size_t c = 0; c < e.size(); ++c) ctx.output(static_cast<int>(c)) = std::move(e[c]);
  return Status::OK();
}

template <Queue::Count kCount>
Status dequeue_many_kernel(KernelContext& ctx) {
  std::shared_ptr<Queue> q;
  TL_RETURN_IF_ERROR(lookup_queue(ctx, ctx.input(0), &q));
  if (ctx.input(1).num_elements() != 1) return invalid_argument("n must be a scalar");
  std::vector<Tensor> batch;
  TL_RETURN_IF_ERROR(q->dequeue_many(int_element(ctx.input(1), 0), kCount, ctx.control(), &batch));
  for (size_t c = 0; c < batch.size(); ++c) ctx.output(static_cast<int>(c)) = std::move(batch[c]);
  return Status::OK();
}

Status close_kernel(KernelContext& ctx) {
  std::shared_ptr<Queue> q;
  TL_RETURN_IF_ERROR(lookup_queue(ctx, ctx.input(0), &q));
  q->close(ctx.attrs().get<bool>("cancel_pending_enqueues"));
  return Status::OK();
}

Status size_shape(InferenceContext& ctx) {
  ctx.set_output(0, DType::kInt32, Shape());
  return Status::OK();
}

Status size_kernel(KernelContext& ctx) {
  std::shared_ptr<Queue> q;
  TL_RETURN_IF_ERROR(lookup_queue(ctx, ctx.input(0), &q));
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kInt32, Shape(), &ctx.output(0)));
  *ctx.output(0).data<int32_t>() = static_cast<int32_t>(q->size());
  return Status::OK();
}

Status is_closed_shape(InferenceContext& ctx) {
  ctx.set_output(0, DType::kBool, Shape());
  return Status::OK();
}

Status is_closed_kernel(KernelContext& ctx) {
  std::shared_ptr<Queue> q;
  TL_RETURN_IF_ERROR(lookup_queue(ctx, ctx.input(0), &q));
  TL_RETURN_IF_ERROR(Tensor::allocate(DType::kBool, Shape(), &ctx.output(0)));
  *ctx.output(0).data<bool>() = q->is_closed();
  return Status::OK();
}

Status count_up_to_shape(InferenceContext& ctx) {
  TL_RETURN_IF_ERROR(check_input_dtype(ctx, 0, IntTypes{}));
  if (ctx.input_shape(0).rank() > 0) {
    return invalid_argument("CountUpTo needs a scalar variable, got shape " +
                            ctx.input_shape(0).to_string());
  }
  ctx.set_output(0, ctx.input_dtype(0), Shape());
  return Status::OK();
}

// The variable's value, and the variable incremented; OutOfRange once it has reached `limit`
// (the epoch counter of tf.train's input producers).
Status count_up_to_kernel(KernelContext& ctx) {
  static std::mutex mutex;  // one read-and-increment at a time
  std::lock_guard<std::mutex> lock(mutex);
  const int32_t var = ctx.variable_of(0);
  Tensor current;
  TL_RETURN_IF_ERROR(ctx.variable(var, &current));
  if (!current.valid()) {
    return failed_precondition("Attempting to use uninitialized value").with_node(var);
  }
  const int64_t limit = ctx.attrs().get<int64_t>("limit");
  const int64_t value = int_element(current, 0);
  if (value >= limit) {
    return Status(StatusCode::kOutOfRange, "Reached limit of " + std::to_string(limit));
  }
  Tensor next;
  TL_RETURN_IF_ERROR(Tensor::allocate(current.dtype(), Shape(), &next));
  TL_RETURN_IF_ERROR(Tensor::allocate(current.dtype(), Shape(), &ctx.output(0)));
  return dispatch(IntTypes{}, current.dtype(), "CountUpTo", [&](auto tag) {
    using T = typename decltype(tag)::type;
    *ctx.output(0).data<T>() = static_cast<T>(value);
    *next.data<T>() = static_cast<T>(value + 1);
    ctx.state().set_variable(var, next);
  });
}

// The attributes every queue op declares.
OpDef queue_op(const char* name) {
  return OpDef(name)
      .attr("component_types", AttrType::kInts)
      .attr("shapes", AttrType::kInts, std::vector<int64_t>{})
      .attr("capacity", AttrType::kInt, int64_t{-1})
      .attr("container", AttrType::kString, std::string())
      .attr("shared_name", AttrType::kString, std::string())
      .shape(queue_shape)
      .sets_own_outputs()
      .stateful();
}

// A dequeue: outputs one tensor per component (`num_components` of them).
OpDef dequeue_op(const char* name, ShapeFn shape) {
  return OpDef(name)
      .input("handle")
      .outputs_from_attr("num_components")
      .attr("num_components", AttrType::kInt)
      .attr("component_types", AttrType::kInts)
      .attr("shapes", AttrType::kInts, std::vector<int64_t>{})
      .attr("timeout_ms", AttrType::kInt, int64_t{-1})
      .shape(shape)
      .sets_own_outputs()
      .stateful();
}

}  // namespace

void register_queue_ops(OpRegistry& r) {
  r.add_builtin(queue_op("FIFOQueueV2"));
  r.add_builtin(queue_op("PaddingFIFOQueueV2"));
  r.add_builtin(queue_op("RandomShuffleQueueV2")
                    .attr("min_after_dequeue", AttrType::kInt, int64_t{0})
                    .attr("seed", AttrType::kInt, int64_t{0})
                    .attr("seed2", AttrType::kInt, int64_t{0}));
  for (const char* name : {"QueueEnqueueV2", "QueueEnqueueManyV2"}) {
    r.add_builtin(OpDef(name)
                      .input("handle")
                      .variadic_input("components")
                      .outputs(0)
                      .attr("timeout_ms", AttrType::kInt, int64_t{-1})
                      .shape(enqueue_shape)
                      .stateful());
  }
  r.add_builtin(dequeue_op("QueueDequeueV2", dequeue_shape));
  r.add_builtin(dequeue_op("QueueDequeueManyV2", dequeue_many_shape).input("n"));
  r.add_builtin(dequeue_op("QueueDequeueUpToV2", dequeue_many_shape).input("n"));
  r.add_builtin(OpDef("QueueCloseV2")
                    .input("handle")
                    .outputs(0)
                    .attr("cancel_pending_enqueues", AttrType::kBool, false)
                    .shape(enqueue_shape)
                    .stateful());
  r.add_builtin(
      OpDef("QueueSizeV2").input("handle").shape(size_shape).sets_own_outputs().stateful());
  r.add_builtin(OpDef("QueueIsClosedV2")
                    .input("handle")
                    .shape(is_closed_shape)
                    .sets_own_outputs()
                    .stateful());
  r.add_builtin(OpDef("CountUpTo")
                    .input("ref")
                    .attr("limit", AttrType::kInt)
                    .shape(count_up_to_shape)
                    .ref_input(0)
                    .sets_own_outputs()
                    .stateful());
}

void register_queue_kernels(KernelRegistry& r) {
  r.add_builtin(KernelDef("CountUpTo", Device::kCPU).compute(count_up_to_kernel));
  r.add_builtin(KernelDef("FIFOQueueV2", Device::kCPU).compute(queue_kernel<Queue::Kind::kFIFO>));
  r.add_builtin(
      KernelDef("PaddingFIFOQueueV2", Device::kCPU).compute(queue_kernel<Queue::Kind::kPadding>));
  r.add_builtin(KernelDef("RandomShuffleQueueV2", Device::kCPU)
                    .compute(queue_kernel<Queue::Kind::kRandomShuffle>));
  r.add_builtin(KernelDef("QueueEnqueueV2", Device::kCPU).compute(enqueue_kernel));
  r.add_builtin(KernelDef("QueueEnqueueManyV2", Device::kCPU).compute(enqueue_many_kernel));
  r.add_builtin(KernelDef("QueueDequeueV2", Device::kCPU).compute(dequeue_kernel));
  r.add_builtin(KernelDef("QueueDequeueManyV2", Device::kCPU)
                    .compute(dequeue_many_kernel<Queue::kExactly>));
  r.add_builtin(
      KernelDef("QueueDequeueUpToV2", Device::kCPU).compute(dequeue_many_kernel<Queue::kUpTo>));
  r.add_builtin(KernelDef("QueueCloseV2", Device::kCPU).compute(close_kernel));
  r.add_builtin(KernelDef("QueueSizeV2", Device::kCPU).compute(size_kernel));
  r.add_builtin(KernelDef("QueueIsClosedV2", Device::kCPU).compute(is_closed_kernel));
}

}  // namespace tl
