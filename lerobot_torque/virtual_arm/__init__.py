"""Virtual robot arms behind a real serial device path, for trying and testing without hardware.

`lerobot-torque-virtual-arm` opens a pseudo-terminal (`/dev/pts/N`) whose far end answers the motor
protocol (Feetech SCS protocol 0 for SO-100/SO-101, Dynamixel protocol 2.0 for ALOHA's arms) from
a MuJoCo simulation. LeRobot's unchanged motor buses, robots and commands open that path like
`/dev/ttyACM0`. Nothing here is imported by plugin discovery: mujoco loads when an arm starts.
"""
