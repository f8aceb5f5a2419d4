"""The closed loop on Brian2: one ``Network.run`` per episode.

A :class:`~neuroworm.brian.network.BrianNetwork` built with
``count_spikes=True`` runs **one** ``Network.run`` per episode, of E·K neural
steps. One ``NetworkOperation`` with ``dt = K·dt`` and ``when="start"`` fires
at neural steps 0, K, 2K, ...: before any group is updated in that step, so
the step sees the current it writes. At step 0 it resets the environments
and writes ``encode(o_0)``; at step e·K it reads the ``spike_count`` of the
output cells (incremented by the reset of every spike during steps
(e-1)·K .. e·K-1) and zeroes them, then lets the
:class:`~neuroworm.control.Rollout` check the network for divergence,
decode ``a_{e-1}``, step all P bodies and encode ``o_e``, which it writes
into ``I_ext``. After ``run`` returns, the same function is called once more
for the last window (``a_{E-1}``). One ``run()`` per environment step (the
protocol's default :meth:`~neuroworm.backends.NetworkPopulation.run_episode`)
would cost Brian2's run set-up (100-200 ms) a thousand times per episode.
This gives the same returns and records, bit for bit, as the NumPy
reference's loop.
"""

import numpy as np

__all__ = ["run_episode"]


def run_episode(network, rollout):
    """The closed loop on Brian2: one ``run()`` per episode, one ``NetworkOperation`` per environment step."""
    import brian2

    K = rollout.neural_steps_per_env_step
    neurons = network.neurons
    spike_count = neurons.variables["spike_count"].get_value()  # live arrays (runtime device)
    external = neurons.variables["I_ext"].get_value()
    inputs, outputs = network.inputs.ravel(), network.outputs
    shape = outputs.shape

    def end_window():
        counts = spike_count[outputs.ravel()].reshape(shape)
        spike_count[:] = 0.0
        return rollout.advance(counts)

    def environment_step():
        if not started[0]:
            started[0] = True
            current = rollout.begin()
        elif rollout.finished:  # every episode ended early: idle until run() returns
            network.network.stop()
            return
        else:
            current = end_window()
        external[inputs] = current.ravel()

    started = [False]
    operation = brian2.NetworkOperation(environment_step, dt=K * network.dt, when="start", order=-10,
                                        name="closed_loop")
    extra = [operation]
    monitor = None
    if rollout.recording:
        monitor = brian2.SpikeMonitor(neurons, name="spikes", codeobj_class=neurons.codeobj_class)
        extra.append(monitor)
    network.network.add(*extra)
    # Every episode starts at t = 0, so that the operation's clock (ticks at multiples of K·dt)
    # lines up with neural step 0 even after an episode that stopped early.
    network.network.t_ = 0.0
    try:
        network.network.run(rollout.episode_steps * K * network.dt, namespace={})
    finally:
        network.network.remove(*extra)
    if not rollout.finished:
        end_window()
    if monitor is not None:
        steps = np.round(np.asarray(monitor.t_[:]) / float(network.dt)).astype(np.int64)
        flat = np.asarray(monitor.i[:], dtype=np.int64)
        individual, position = np.divmod(flat, network.n_neurons)
        column = np.full(network.n_neurons, -1)
        column[rollout.spike_positions] = np.arange(len(rollout.spike_positions))
        keep = (column[position] >= 0) & (steps < len(rollout.spikes))
        rollout.spikes[steps[keep], individual[keep], column[position[keep]]] = True
