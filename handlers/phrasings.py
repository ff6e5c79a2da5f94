"""What each role says for each intent, as data: the words people use, not a command syntax.

Each intent lists `verbs` (words that only carry the intent: removed when the rest of the message is
read as a reason or a note) and `cues` (words that point to the intent and also say something: kept).
Placeholders stand for slots found before matching: `@` a technician named, `#` a ticket number,
`%` a phone number. Text is matched after normalizing (simplified characters, half-width, lower case,
fillers and spaces removed), so one spelling covers 師傅/师傅 and ＯＫ/ok.

Operators add phrasings in the config (`[[intents.phrasings]]`); they join these tables at start.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IntentSpec:
    name: str
    label: str                       # how the bot names it in a question: 您是想「接单」吗？
    verbs: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    asserts: bool = False            # a statement: a question ("好了吗？") never triggers it
    risky: bool = False              # destructive: confirmed with buttons unless read with confidence
    states: tuple[str, ...] = ()     # the person's ticket states that make this reading likely
    slots: tuple[tuple[str, float], ...] = ()   # slots whose presence speaks for it, with their weight
    needs_ticket: bool = False       # meaningless for an owner with no ticket in `states` (moving a visit)
    words_first: bool = False        # its slots speak for it only beside its own words
    asks: bool = False               # its cues ask ("周六上门吗"): in a statement ("周六全天都行") they say nothing


# Intents that only show something (a list, a figure, a ticket). A wrong guess costs one more
# question and changes nothing, so these are acted on when they lead at all, not only when clear.
SHOWS_ONLY = frozenset({"status", "warranty", "hours", "help", "confirmation", "my_jobs", "parts", "queue", "workload",
                        "customer", "show", "callbacks", "stats", "statement", "overdue", "ranking", "breakdown"})


def _w(text: str) -> tuple[str, ...]:
    return tuple(text.split())


OWNER = (
    IntentSpec("status", "查进度", _w("进度 查进度 查询 查工单 查一下 查下"),
               _w("到哪了 到哪一步 哪一步 什么情况 啥情况 怎么样了 咋样了 咋样 有人接了 有人接单 接了吗 接单了 "
                  "什么时候来 啥时候来 几点来 今天会来 会来吗 能来吗 来了吗 出发了没 出发了吗 出发没 到了没 "
                  "几点来着 预约的是 预约的几点 什么时候到 status 好了没 好了吗 修好了没 修好没 修好了吗 "
                  "现在到哪 状态 几点到 什么时候能到 几时到"), states=("assigned", "accepted", "in_progress", "waiting", "new")),
    IntentSpec("urge", "催单", _w("催单 催一下 催促 催催 加急 快点 赶紧 hurry"),
               _w("还没人来 还没来 没人来 还不来 还没人 没人理 没人联系 等了 都三天 都两天 一上午了 好几天 "
                  "很久了 急死了 快派人 早点过来 早点来 尽快 拖了 拖一周 都拖 等半天 到底啥时候 到底什么时候 "
                  "怎么还没 咋还没 咋还不 来不来 人呢 到底 还要等多久"), states=("new", "assigned", "accepted", "waiting"),
               needs_ticket=True),
    IntentSpec("cancel", "取消工单", _w("取消报修 取消工单 撤销工单 撤单 取消 撤销 不修了 不用修了 不要了 算了 "
                                     "不用来了 别来了"),
               _w("自己弄好了 自己修好了 找到人修了 找人修了 不需要了"), asserts=True, risky=True,
               states=("new", "assigned", "accepted", "waiting"), needs_ticket=True),
    IntentSpec("reschedule", "改约时间", _w("取消预约 改约 改时间 换个时间 换时间 改个时间 换个日子 改天 改一下时间 "
                                         "改到 改成 推迟 延后 晚点来 早点来的话 约的时间 预约时间 那天"),
               _w("不在家 没人在家 才有人在家 有人在家 去不了 家里没人 临时有事 有事 不方便 才有人 才在家 才有空 才回来 "
                  "换一天 换天 全天都行 全天都可以 全天在家 全天有人 都在家 一天都在"),
               states=("accepted", "assigned", "waiting"), needs_ticket=True, slots=(("time", 1.5),)),
    IntentSpec("fixed", "确认修好", _w("修好了 修好 确认修好 已修好 好了 弄好了 搞掂 搞定 修好咗 没问题了 不漏了 可以了 "
                                     "正常了 ok"),
               asserts=True, states=("resolved",), needs_ticket=True),
    IntentSpec("not_fixed", "反馈没修好", _w("没修好 没有修好 未修好 还没好 还是坏的 还是坏 又坏了 又漏了 还是漏 "
                                          "还是在漏 还在漏 又漏 还是不行 又不行 跟没修一样 又不出水 还是不出水 "
                                          "又不 还是滴水 still"),
               risky=True, states=("resolved", "closed"), needs_ticket=True),
    IntentSpec("rate", "评分", _w("评分 打分 评价 好评 差评 星级")),
    IntentSpec("warranty", "保修咨询", _w("保修 保固 质保 过保 保内 保外"),
               _w("要钱 要收费 收费吗 花钱 免费 收钱 多少钱 要钱不 费用")),
    IntentSpec("hours", "服务时间", _w("几点上班 上班时间 营业时间 工作时间 服务时间 几点到几点 几点下班"),
               _w("周末 星期天 星期六 周日 周六 节假日 假期 晚上可以 休息日 上门吗 有人修吗 有师傅吗 上门不"), asks=True),
    IntentSpec("complaint", "投诉", _w("投诉 给个说法 谁负责 要赔 赔偿 态度差 态度太差 态度不好 乱收费"),
               _w("刮花 划了 划伤 弄坏了我 砸了 弄脏 打碎了 磕坏 碰坏 撞坏 损坏了我 弄坏我 把我家 把我的"),
               states=("closed", "resolved", "in_progress")),
    IntentSpec("report", "报修", _w("报修 维修 要修 修一下 安装 装一下 help"),
               _w("坏了 坏 漏水 漏 滴水 滴 渗水 堵了 堵 不出水 不出热水 没电 跳闸 打不开 反味 异响 松了 裂了 不亮 "
                  "不转 不制冷 没热水 断了 卡住 起鼓 冒烟 燃气味 "
                  "掉了 脱落 没反应 不热 推不动 拉不动 关不上 关不严 合不上 锁不上 不灵 失灵 变形 开裂 生锈 发霉 "
                  "松动 晃 响 不工作 罢工 用不了 不能用 出问题 有问题 毛病")),
    IntentSpec("help", "帮助", _w("帮助 菜单 怎么用 能干啥 能干什么 有什么功能 指令")),
    IntentSpec("bind", "绑定手机", _w("绑定 绑定手机 绑手机 绑定手机号 绑定号码 验证手机 关联手机")),
    IntentSpec("confirmation", "服务确认单", _w("确认单 服务确认单 维修确认单 完工单 服务单 回执")),
    # other roles' command words: answered with what an owner can say, not read as a report
    IntentSpec("staff", "工作人员操作", _w("接单 抢单 拒单 派单 改派 待派单 今日统计 统计 日报 代客报修 挂起 完工 "
                                          "签到 我的工单 改优先级 待回访 已回访 领料 预留"), asserts=True),
)

TECHNICIAN = (
    IntentSpec("accept", "接单", _w("接单 抢单 抢 接 我接 接了 我来 我去 我接了 能接 可以接 接这单 我来搞 我来弄 "
                                  "我来吧 我去吧 jie单 收到"),
               asserts=True, states=("assigned",)),
    IntentSpec("reject", "拒单", _w("拒单 不接 接不了 去不了 拒绝 不接了 pass 来不了 没空 干不了"),
               _w("排满了 太远 在外地 活太多 不会修 车坏了 医院 没时间 不是我的活"),
               asserts=True, risky=False, states=("assigned",)),
    IntentSpec("book", "预约上门", _w("预约 约了 约好了 约在 约的 改约 改到 book 说好了 上门 过去 去"),
               asserts=True, states=("accepted", "waiting"), slots=(("time", 2.5),)),
    IntentSpec("depart", "出发", _w("出发 在路上 出门了 现在过去 赶过去 开车过去 on my way 路上 马上到"),
               asserts=True, states=("accepted",)),
    IntentSpec("arrive", "签到", _w("到了 签到 已到 到门口 门口了 到小区 到现场 到业主家 到地方了 到楼下 在楼下 arrived 已到达 到达"),
               asserts=True, states=("accepted",)),
    IntentSpec("hold", "挂起", _w("挂起 先挂起 挂着 先挂着 暂停一下 暂停 先停一下 停一下 hold 先hold一下 hold一下"),
               _w("等配件 等件 等货 缺件 缺个 没带 要订 调货 业主不在 不在家 业主出门 订货 配件没到 再来 改天再来 下次再来 等业主"),
               asserts=True, states=("in_progress", "accepted")),
    IntentSpec("resume", "恢复", _w("恢复 继续 接着弄 接着干 开工 继续干 可以继续"),
               _w("到了继续 配件到了 货到了 件到了 回来了"), asserts=True, states=("waiting",)),
    IntentSpec("finish", "完工", _w("完工 完成 修好了 弄好了 搞定 搞掂 好了 修完了 弄完了 干完了 done 完成了"),
               _w("换了 更换 用了 拧紧 处理说明"), asserts=True, states=("in_progress",)),
    IntentSpec("handback", "退回派单员", _w("退回 还给客服 交回 转给别人 重新派 重新安排 退给 改派 换人 退回派单员 还给派单员"),
               _w("不是我这个工种 需要木工 需要电工 需要水工 搞不定 修不了 干不了 搞不了 做不了 弄不了 给别人 "
                  "让别人 找别人 电工的活 木工的活 水工的活 不是我的工种"), states=("accepted", "in_progress", "waiting")),
    IntentSpec("my_jobs", "我的工单", _w("我的工单 我的单子 我的活 我的单 几单 几个单 没做 有啥活 有什么活 哪些没 跑几家 "
                                       "手上 list 几个活 几个单子 还有活 多少活 多少单 哪些单 今天的活 待办 有活 有没有活 有单吗 "
                                       "有没有单")),
    IntentSpec("on_duty", "上班", _w("上班 在岗 开工 开工了 上班了")),
    IntentSpec("off_duty", "下班", _w("下班 收工 下班了 收工了 今天不上了 今天不干了 今天休息 今天歇了 歇了")),
    IntentSpec("parts", "查配件", _w("配件 备件 要啥配件 需要什么配件 有货吗 还有货 有没有货 有货没 库存 还剩几个 还剩多少")),
    IntentSpec("reserve", "预留配件", _w("预留 领料 帮我留 留两个 留一个 领一 领个 领"), slots=(("parts", 1.0),)),
    IntentSpec("help", "帮助", _w("帮助 菜单 怎么用 指令 怎么操作 你会什么 有啥功能")),
)

# A report filed for a caller: the proxy reading's words, which the desk also leaves out of the fault.
PROXY_WORDS = _w("代客报修 代报 代报一单 帮一个业主报修 帮个业主报修 帮业主报修 帮客户报修 "
              "帮业主报个修 帮客户报个修 帮业主报 帮客户报 打电话来报修 有业主打电话来报修 来电 "
              "接到电话 刚接到电话 报修 报个修 客户来电 业主来电 客户打电话 业主打电话 "
              "客户打电话来 业主打电话来")

DESK = (
    IntentSpec("assign", "派单", _w("派单 改派 派给 派 给@ 让@去 叫@去 让@跑 安排@ 安排 换个师傅 assign @去 让@接 "
                                  "让他去 交给"),
               risky=True, slots=(("technician", 3.0),)),
    IntentSpec("priority", "改优先级", _w("改优先级 优先级 加急 紧急 提高 调成 改成 降成 标记为 优先处理 设成"),
               slots=(("priority", 1.5),)),
    IntentSpec("queue", "待派单", _w("待派单 没派 单没派 多少单没派 没派的 待处理 在等 排队 漏派 pending 没人接 待分配 等着派")),
    IntentSpec("proxy", "代客报修", PROXY_WORDS,
               # asserts: "翠湖花园最近报修多吗" asks about reports, it does not start one
               _w("业主说 坏了 漏水 堵了 漏 起鼓"), asserts=True, slots=(("phone", 1.0),)),
    IntentSpec("customer", "查客户", _w("客户 查客户 查一下 是谁 资料 报过几次 这个号码 号码"),
               slots=(("phone", 1.5),)),
    IntentSpec("show", "查看工单", _w("工单 什么情况 啥情况 咋回事 怎么回事 谁在跟 谁在做 查看工单"),
               slots=(("number", 1.2), ("ref", 1.0))),
    # "王建国手上有几单": what a technician has in hand, asked before sending them more. The name alone
    # is a dispatch (让王建国去…), so it speaks for this reading only beside these words.
    IntentSpec("workload", "师傅手上的单", _w("手上 手头 手里 在手 忙不忙 手上的活 手上的单 手头的活 手上几单 手上有几单"),
               slots=(("technician", 3.0),), words_first=True),
    IntentSpec("callbacks", "待回访", _w("待回访 要回访 回访")),
    IntentSpec("callback_done", "已回访", _w("已回访 回访了 回访过")),
    IntentSpec("incident_fixed", "批量故障解除", _w("故障解除 解除故障 批量故障解除 故障已排除 已恢复供水 已恢复供电 电梯已恢复"),
               asserts=True, risky=True, slots=(("number", 1.2),), words_first=True),  # a bare number is not 故障解除
    IntentSpec("stats", "统计", _w("统计 今日统计 日报 报表 数据 多少单 kpi 完成率 数 统记 周报 月报 报修量 单量 多不多 多吗"),
               slots=(("period", 1.2),)),
    # Only its own words name it (no slot weights): a period or "按区域" alone ask for the figures.
    IntentSpec("statement", "结算单", _w("结算单 对账单 结算表 月结单 结算 结算单按区域 结算单按师傅 按区域结算单 "
                                       "按师傅结算单 按区域的结算单 按师傅的结算单")),
    IntentSpec("overdue", "超时工单", _w("超时 逾期 过了时限 超期 拖着 overdue 快超时")),
    IntentSpec("ranking", "师傅排行", _w("排行 排名 排一下 排个名 谁干得最好 最高 谁接单最多 top 排行榜 最好 最多 最快 最差 最少 谁修得 前几名 倒数")),
    IntentSpec("breakdown", "分区域/产品", _w("按区域 各区域 分区域 按产品 各产品 哪个产品 by"),
               slots=(("by", 2.0),)),
    IntentSpec("parts", "查配件", _w("配件 备件")),
    IntentSpec("reserve", "预留配件", _w("预留 领料")),
    IntentSpec("help", "帮助", _w("帮助 菜单 怎么用 能查啥 能干啥 都能干啥 指令 你会什么 会干什么 能做什么 有啥功能 "
                                 "有什么功能 怎么操作")),
)

TABLES: dict[str, tuple[IntentSpec, ...]] = {"owner": OWNER, "technician": TECHNICIAN, "dispatcher": DESK,
                                            "manager": DESK, "admin": DESK}

# What a question about a ticket means for each role when the statement inside it is set aside.
QUESTION_FALLBACK = {"owner": "status", "dispatcher": "show", "manager": "show", "admin": "show"}

# Fillers carry nothing: removed before matching.
FILLERS = _w("那个 嗯嗯 嗯 就是 呃 额 然后 那啥 这个嘛 哈 啊 呀 吧 呗 哦 噢 啦 嘛 麻烦 请问 请 一下下")
