// Sessions: state that persists between runs, and a cache of executor plans.
#include "tensorlib/session.h"

#include <atomic>

#include "tensorlib/executor.h"

namespace tl {
namespace {

std::atomic<int> g_default_threads{0};

}  // namespace

void set_default_num_threads(int n) { g_default_threads.store(n > 0 ? n : 0); }

int default_num_threads() {
  const int n = g_default_threads.load();
  return n > 0 ? n : ThreadPool::global().num_threads();
}

int32_t KernelContext::node() const { return node_.id; }

int32_t KernelContext::variable_of(int i) const {
  return ref_variables_ && ref_variables_[i] >= 0 ? ref_variables_[i] : node_.inputs[i].node;
}

const ExecutionDevice& KernelContext::device() const {
  return device_ ? *device_ : DeviceRegistry::global().cpu();
}

Status KernelContext::variable(int32_t id, Tensor* out) {
  *out = state_->variable(id);
  if (!out->valid()) return Status::OK();
  Tensor here;
  TL_RETURN_IF_ERROR(copy_to_device(*out, device(), &here));
  if (here.buffer() != out->buffer()) state_->set_variable(id, here);
  *out = std::move(here);
  return Status::OK();
}

SessionState::SessionState() = default;
SessionState::~SessionState() {
  // Resources go first: an iterator's worker threads run functions of this state.
  std::unordered_map<std::string, std::shared_ptr<Resource>> resources;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    resources.swap(resources_);
  }
}

FunctionState& SessionState::function_state(const Graph* body) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<FunctionState>& fs = functions_[body];
  if (!fs) {
    fs = std::make_unique<FunctionState>();
    fs->state.set_allow_soft_placement(allow_soft_placement_);  // for functions it calls
    fs->state.set_variables_owner(variables_owner_ ? variables_owner_ : this);
  }
  return *fs;
}

Tensor SessionState::variable(int32_t node) {
  if (variables_owner_) return variables_owner_->variable(node);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = variables_.find(node);
  return it == variables_.end() ? Tensor() : it->second;
}

void SessionState::set_variable(int32_t node, Tensor value) {
  if (variables_owner_) return variables_owner_->set_variable(node, std::move(value));
  Tensor old;  // released outside the lock
  std::lock_guard<std::mutex> lock(mutex_);
  old = std::move(variables_[node]);
  variables_[node] = std::move(value);
}

std::mutex& SessionState::variable_mutex(int32_t node) {
  if (variables_owner_) return variables_owner_->variable_mutex(node);
  std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<std::mutex>& m = variable_mutexes_[node];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

uint64_t SessionState::take_random_counter(int32_t node, uint64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t& next = random_counters_[node];
  const uint64_t first = next;
  next += count;
  return first;
}

std::shared_ptr<Resource> SessionState::resource(
    const std::string& name, const std::function<std::shared_ptr<Resource>()>& make) {
  if (variables_owner_) return variables_owner_->resource(name, make);
  std::lock_guard<std::mutex> lock(mutex_);
  std::shared_ptr<Resource>& r = resources_[name];
  if (!r) r = make();
  return r;
}

std::shared_ptr<Resource> SessionState::find_resource(const std::string& name) {
  if (variables_owner_) return variables_owner_->find_resource(name);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = resources_.find(name);
  return it == resources_.end() ? nullptr : it->second;
}

void SessionState::set_resource(const std::string& name, std::shared_ptr<Resource> resource) {
  if (variables_owner_) return variables_owner_->set_resource(name, std::move(resource));
  std::shared_ptr<Resource> old;  // released outside the lock (it may join threads)
  std::lock_guard<std::mutex> lock(mutex_);
  old = std::move(resources_[name]);
  resources_[name] = std::move(resource);
}

void SessionState::cancel_resources() {
  std::vector<std::shared_ptr<Resource>> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [name, r] : resources_) all.push_back(r);
  }
  for (auto& r : all) r->cancel();  // outside the lock: cancel() takes the resource's own
}

Session::Session(std::shared_ptr<const Graph> graph, SessionOptions options)
    : graph_(std::move(graph)), options_(options) {
  state_.set_allow_soft_placement(options.allow_soft_placement);
}

Session::~Session() = default;

Status Session::make_callable(const std::vector<Endpoint>& feeds,
                              const std::vector<Endpoint>& fetches,
                              const std::vector<int32_t>& targets, int64_t* handle) {
  auto pack = [](const std::vector<Endpoint>& es) {
    std::vector<int64_t> v;
    for (const Endpoint& e : es) v.push_back((int64_t{e.node} << 32) | uint32_t(e.index));
    return v;
  };
  auto key = std::make_tuple(pack(feeds), pack(fetches), targets);
  std::lock_guard<std::mutex> lock(plans_mutex_);
  auto it = plan_index_.find(key);
  if (it != plan_index_.end()) {
    *handle = it->second;
    return Status::OK();
  }
  PlanOptions plan_options;
  plan_options.allow_soft_placement = options_.allow_soft_placement;
  auto plans = std::make_unique<SpecializedPlans>(*graph_, feeds, fetches, targets, plan_options);
  TL_RETURN_IF_ERROR(plans->check());  // what is wrong is reported here, not at a run
  *handle = static_cast<int64_t>(plans_.size());
  plans_.push_back(std::move(plans));
  plan_index_.emplace(std::move(key), *handle);
  return Status::OK();
}

Status Session::run_callable(int64_t handle, const Tensor* feeds, Tensor* fetches,
                             RunControl* control) {
  SpecializedPlans* plans;
  {
    std::lock_guard<std::mutex> lock(plans_mutex_);
    TL_RETURN_IF_ERROR(find_plans(handle, &plans));
  }
  Plan* plan;
  TL_RETURN_IF_ERROR(plans->plan_for(feeds, &plan));
  const int threads = options_.intra_op_threads > 0 ? options_.intra_op_threads
                                                    : default_num_threads();
  return plan->run(state_, threads, feeds, fetches, control);
}

Status Session::find_plans(int64_t handle, SpecializedPlans** plans) const {
  if (handle < 0 || handle >= static_cast<int64_t>(plans_.size())) {
    return invalid_argument("no callable with handle " + std::to_string(handle));
  }
  *plans = plans_[handle].get();
  return Status::OK();
}

Status Session::last_plan(int64_t handle, Plan** plan) {
  SpecializedPlans* plans;
  {
    std::lock_guard<std::mutex> lock(plans_mutex_);
    TL_RETURN_IF_ERROR(find_plans(handle, &plans));
  }
  return plans->last_used(plan);
}

Status Session::placement(int64_t handle, std::vector<std::string>* lines) {
  Plan* plan;
  TL_RETURN_IF_ERROR(last_plan(handle, &plan));
  *lines = plan->placement();
  return Status::OK();
}

Status Session::step_nodes(int64_t handle, std::vector<std::vector<std::string>>* steps) {
  Plan* plan;
  TL_RETURN_IF_ERROR(last_plan(handle, &plan));
  *steps = plan->step_nodes();
  return Status::OK();
}

}  // namespace tl
